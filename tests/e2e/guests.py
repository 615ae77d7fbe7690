"""Real guests for the e2e modules that boot them (container or microVM runtime).

One place for what those modules all do: start a server on a real runtime (and, at teardown,
terminate every guest, stop the server and check that none of its processes is left), create a
key pair, a security group open to SSH (and, when asked, ICMP echo or HTTP), launch guests, wait
for them to run and to answer SSH, and run commands in them over SSH as a user would.

    from guests import GuestLab, guest_server

    pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

    @pytest.fixture(scope="module")
    def srv(stratus_binary, tmp_path_factory):
        with guest_server(stratus_binary, tmp_path_factory, "my-module", "--metrics-interval-seconds", "1") as server:
            yield server

    def test_something(srv, tmp_path):
        lab = GuestLab(srv, tmp_path, key_name="my-key")
        sg = lab.ssh_group("my-ssh", ports=(22, 80))
        inst = lab.launch(SecurityGroupIds=[sg])          # running and answering SSH
        assert lab.run(inst, "id -un") == "ec2-user\\n"     # fails with the guest's output otherwise

Everything needs root, ip, nft, ssh, curl and the minimal image (`stratus images build
minimal`, in $STRATUS_IMAGE_DIR); the container runtime crun, the microVM runtime QEMU. Anything
missing FAILS (never skips). A module using this must be in the guests xdist group.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time

import pytest

from conftest import ServerFactory, minimal_ami

IMAGE_DIR = os.environ.get("STRATUS_IMAGE_DIR") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "stratus", "images")

# Guests under TCG take a few seconds to boot; waits are generous, polls are quick.
BOOT_TIMEOUT = 180
HTTP_TIMEOUT = 120

# What each runtime needs on the host besides the common tools.
RUNTIME_TOOLS = {"container": ("crun",), "microvm": ("qemu-system-x86_64",)}


def require_host(*tools: str) -> None:
    """Fails the test unless the host has root, the network tools, the minimal image and `tools`."""
    problems = []
    if os.geteuid() != 0:
        problems.append("not root")
    for tool in ("ip", "nft", "ssh", "curl", *tools):
        if shutil.which(tool) is None:
            problems.append(f"{tool} missing")
    if not os.path.exists(os.path.join(IMAGE_DIR, "minimal", "manifest.json")):
        problems.append(f"minimal image not built in {IMAGE_DIR} (run: stratus images build minimal)")
    if problems:
        pytest.fail("real-instance tests need: " + "; ".join(problems), pytrace=False)


# --------------------------------------------------------------------------------------------
# The server and what it leaves behind
# --------------------------------------------------------------------------------------------

def terminate_all(srv) -> None:
    """Terminates every instance of the server that is not terminated yet and waits for it."""
    if srv.proc is None or srv.proc.poll() is not None:
        return
    ec2 = srv.ec2()
    ids = [i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
           if i["State"]["Name"] != "terminated"]
    if ids:
        ec2.terminate_instances(InstanceIds=ids)
        ec2.get_waiter("instance_terminated").wait(InstanceIds=ids, WaiterConfig={"Delay": 1, "MaxAttempts": 120})


def guest_processes(srv) -> list[int]:
    """PIDs of processes whose command line points into this server's data dir (qemu, dnsmasq, crun shims)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if srv.data_dir in cmd and int(pid) != (srv.pid or -1):
            found.append(int(pid))
    return found


def netns() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def own_netns(srv) -> set[str]:
    """The host's namespaces that belong to `srv`: its VPCs' (stx-*, recorded under its data dir)
    and its container guests' (s-<instance id>). Other servers on the host (parallel workers,
    other builds) have their own; assertions look at these only."""
    network = os.path.join(srv.data_dir, "host", "network")
    vpcs = {f[:-5] for f in os.listdir(network) if f.startswith("stx-") and f.endswith(".json")} if os.path.isdir(network) else set()
    instances = os.path.join(srv.data_dir, "host", "instances")
    guests = {"s-" + d[2:] for d in os.listdir(instances) if d.startswith("i-")} if os.path.isdir(instances) else set()
    return netns() & (vpcs | guests)


def assert_nothing_left(srv) -> None:
    """No process of the (stopped) server's guests is left; any that is, is killed and the test fails."""
    deadline = time.monotonic() + 20
    while guest_processes(srv) and time.monotonic() < deadline:
        time.sleep(0.5)
    left = guest_processes(srv)
    for pid in left:  # never leak into later tests; these are processes of this server
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    assert not left, f"processes left behind by {srv.name}: {left}"


@contextlib.contextmanager
def guest_server(stratus_binary: str, tmp_path_factory, name: str, *extra_args: str, runtime: str = "container",
                 tools: tuple[str, ...] = (), after_terminate=None):
    """A `stratus serve --runtime <runtime>` on the built images, with `extra_args`, named
    `stratus-<name>` in a temporary directory `<name>`. On exit, even after a failure: every
    instance terminated, `after_terminate(server)` when given (checks of what the terminated
    guests must have left, while the server still runs), the server stopped, and none of its guest
    processes left. `tools` are further host commands the module needs (socat, busybox ...)."""
    require_host(*RUNTIME_TOOLS.get(runtime, ()), *tools)
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp(name)))
    server = factory(name=f"stratus-{name}", extra_args=["--runtime", runtime, "--image-dir", IMAGE_DIR, *extra_args])
    server.runtime = runtime
    try:
        yield server
    finally:
        try:
            terminate_all(server)
            if after_terminate is not None:
                after_terminate(server)
        finally:
            factory.close()
            assert_nothing_left(server)


# --------------------------------------------------------------------------------------------
# SSH
# --------------------------------------------------------------------------------------------

def ssh(key_path: str, host: str, command: str, user: str = "ec2-user", timeout: float = 30,
        connect_timeout: int = 5) -> subprocess.CompletedProcess:
    """`ssh user@host command` with the key, no host-key checks; never raises on a failed command."""
    return subprocess.run(
        ["ssh", "-i", key_path, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "BatchMode=yes", "-o", f"ConnectTimeout={connect_timeout}", "-o", "LogLevel=ERROR", f"{user}@{host}", command],
        capture_output=True, text=True, timeout=timeout)


def wait_ssh(key_path: str, host: str, timeout: float = BOOT_TIMEOUT) -> None:
    """Polls until `ssh host true` succeeds; fails after `timeout` seconds with ssh's last error."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = ssh(key_path, host, "true", timeout=20)
        if last.returncode == 0:
            return
        time.sleep(1)
    raise AssertionError(f"ssh to {host} never succeeded: {last.stderr if last else ''}")


def write_key_pair(ec2, key_name: str, path) -> str:
    """CreateKeyPair `key_name`; its private key written to `path` (mode 0400). Returns the path."""
    path = str(path)
    with open(path, "w") as f:
        f.write(ec2.create_key_pair(KeyName=key_name)["KeyMaterial"])
    os.chmod(path, 0o400)
    return path


def until_equal(check, expected, timeout: float = 5.0, interval: float = 0.2):
    """Polls `check` until it returns `expected` (packets through a just-applied rule, a route's
    state); fails with the last value after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value == expected:
            return value
        assert time.monotonic() < deadline, f"never {expected!r}, last {value!r}"
        time.sleep(interval)


def tcp(port: int, cidr: str = "0.0.0.0/0") -> dict:
    """An IpPermission for one TCP port from a CIDR."""
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}


ICMP_ECHO = {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
# All ICMP from the 10.0.0.0/8 the modules' VPCs are numbered in.
ICMP_FROM_VPCS = {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}


# --------------------------------------------------------------------------------------------
# A key pair, groups and guests of one server
# --------------------------------------------------------------------------------------------

class GuestLab:
    """A server's EC2 client, a key pair (written under `key_dir`) and the minimal image, for
    launching guests that answer SSH. `launch` returns the described instance once it runs and
    answers; `run` runs a command in it over SSH and returns its output (failing with the guest's
    output when the command fails)."""

    def __init__(self, srv, key_dir=None, key_name: str | None = "guest-key", ec2=None):
        """`key_dir` None (or `key_name` None): no key pair (guests reached otherwise, or not at all)."""
        self.srv = srv
        self.ec2 = ec2 or srv.ec2()
        self.key_name = key_name if key_dir is not None else None
        self.key_path = write_key_pair(self.ec2, key_name, os.path.join(str(key_dir), f"{key_name}.pem")) if self.key_name else None
        self.ami = minimal_ami(self.ec2)

    def ssh_group(self, name: str, ports=(22,), icmp: bool = False, vpc_id: str | None = None,
                  description: str | None = None, egress: bool = True) -> str:
        """A security group open from anywhere to TCP `ports` (and ICMP echo with `icmp`); without
        `egress` its default allow-all outbound rule is revoked. Returns its id."""
        kw = {"VpcId": vpc_id} if vpc_id else {}
        sg = self.ec2.create_security_group(GroupName=name, Description=description or name, **kw)["GroupId"]
        permissions = [tcp(p) for p in ports] + ([ICMP_ECHO] if icmp else [])
        if permissions:
            self.ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=permissions)
        if not egress:
            self.ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        return sg

    def run_instances(self, count: int = 1, instance_type: str = "t3.micro", key: bool = True, **kwargs) -> list[str]:
        """RunInstances of `count` guests of the minimal image (or ImageId when given; with the key
        pair unless `key` is false); returns their ids at once."""
        if key and self.key_name:
            kwargs.setdefault("KeyName", self.key_name)
        kwargs.setdefault("ImageId", self.ami)
        out = self.ec2.run_instances(InstanceType=instance_type, MinCount=count, MaxCount=count, **kwargs)
        return [i["InstanceId"] for i in out["Instances"]]

    def wait_running(self, *instance_ids: str) -> None:
        self.ec2.get_waiter("instance_running").wait(InstanceIds=list(instance_ids), WaiterConfig={"Delay": 1, "MaxAttempts": BOOT_TIMEOUT})

    def describe(self, instance_id: str) -> dict:
        return self.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]

    def running(self, *instance_ids: str) -> dict[str, dict]:
        """Waits until the instances run; returns each as DescribeInstances shows it then, by id."""
        self.wait_running(*instance_ids)
        return {i["InstanceId"]: i for r in self.ec2.describe_instances(InstanceIds=list(instance_ids))["Reservations"]
                for i in r["Instances"]}

    def launch(self, instance_type: str = "t3.micro", user_data: str | None = None, wait_ssh: bool = True, **kwargs) -> dict:
        """One guest (with `user_data` when given): launched, running and (unless `wait_ssh` is
        false) answering SSH at its public address. Returns it as DescribeInstances shows it then."""
        if user_data is not None:
            kwargs["UserData"] = user_data
        iid = self.run_instances(instance_type=instance_type, **kwargs)[0]
        self.wait_running(iid)
        inst = self.describe(iid)
        if wait_ssh:
            self.wait_ssh(inst)
        return inst

    @staticmethod
    def address(target) -> str:
        """A host to SSH to: an address as given, or an instance's public address."""
        return target if isinstance(target, str) else target["PublicIpAddress"]

    def wait_ssh(self, target, timeout: float = BOOT_TIMEOUT) -> None:
        wait_ssh(self.key_path, self.address(target), timeout)

    def ssh(self, target, command: str, timeout: float = 30, **kw) -> subprocess.CompletedProcess:
        return ssh(self.key_path, self.address(target), command, timeout=timeout, **kw)

    def run(self, target, command: str, timeout: float = 30) -> str:
        """stdout of `command` run in the guest; fails (with its output) when the command fails."""
        r = self.ssh(target, command, timeout=timeout)
        assert r.returncode == 0, f"{command!r} failed in the guest: {r.stdout}{r.stderr}"
        return r.stdout

    def terminate(self, *instances) -> None:
        """Terminates instances (ids or described instances) and waits until they are terminated."""
        ids = [i if isinstance(i, str) else i["InstanceId"] for i in instances]
        self.ec2.terminate_instances(InstanceIds=ids)
        self.ec2.get_waiter("instance_terminated").wait(InstanceIds=ids, WaiterConfig={"Delay": 1, "MaxAttempts": 120})


# --------------------------------------------------------------------------------------------
# VPCs
# --------------------------------------------------------------------------------------------

def first_zone(ec2) -> str:
    """The first Availability Zone of the client's Region."""
    return ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]


def main_route_table(ec2, vpc_id: str) -> str:
    """The id of a VPC's main route table."""
    return ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                              {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]["RouteTableId"]


def vpc_with_subnet(ec2, cidr: str, zone: str | None = None) -> tuple[str, str, str]:
    """A VPC of the /16 `cidr` (`10.N.0.0/16`) with one subnet, `10.N.1.0/24` in `zone` (default:
    the Region's first). Returns (VPC id, subnet id, id of the VPC's main route table)."""
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace(".0.0/16", ".1.0/24"),
                               AvailabilityZone=zone or first_zone(ec2))["Subnet"]["SubnetId"]
    return vpc, subnet, main_route_table(ec2, vpc)


def internet_gateway(ec2, vpc_id: str) -> str:
    """A new internet gateway attached to the VPC; returns its id."""
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    return igw


def subnet_route_table(ec2, vpc_id: str, subnet_id: str, **default_route) -> str:
    """A new route table of the VPC associated with the subnet, with a 0.0.0.0/0 route to
    `default_route`'s target when given (GatewayId=<internet gateway>, ...); returns its id."""
    rt = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    if default_route:
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", **default_route)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=subnet_id)
    return rt


# --------------------------------------------------------------------------------------------
# Packets from container guests' network namespaces (no SSH)
# --------------------------------------------------------------------------------------------

def host_run(*args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    """A host command, its output captured as text; raises when it fails unless `check` is false."""
    return subprocess.run(list(args), capture_output=True, text=True, check=check, **kw)


def guest_ns(instance_id: str) -> str:
    """The host's name of a container guest's network namespace: `s-<instance id without i->`."""
    return "s-" + instance_id[2:]


def _namespace(target: str) -> str:
    """A namespace named by itself or, for an instance id, the guest's."""
    return guest_ns(target) if target.startswith("i-") else target


def ping(target: str, address: str, ipv6: bool = False) -> bool:
    """Whether one ping (busybox, 1 s) to `address` from `target` (a guest's instance id, or a
    namespace) is answered."""
    family = ["-6"] if ipv6 else []
    return host_run("ip", "netns", "exec", _namespace(target), "busybox", "ping", *family, "-c", "1", "-W", "1", address,
                    check=False, timeout=10).returncode == 0


def http_server(target: str, port: int) -> subprocess.Popen:
    """An HTTP server (python3 -m http.server, IPv4 and IPv6) on `port` in `target` (a guest's
    instance id, or a namespace), once it listens. The caller kills it."""
    ns = _namespace(target)
    proc = subprocess.Popen(["ip", "netns", "exec", ns, "python3", "-m", "http.server", str(port), "--bind", "::"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while host_run("sh", "-c", f"ip netns exec {ns} ss -ltnH 'sport = :{port}' | grep -q LISTEN", check=False).returncode != 0:
        assert time.monotonic() < deadline, f"no HTTP server on {ns}:{port}"
        time.sleep(0.1)
    return proc


def http_get6(target: str, address: str, port: int) -> bool:
    """Whether an HTTP GET from `target` (a guest's instance id, or a namespace) to [address]:port succeeds."""
    return host_run("ip", "netns", "exec", _namespace(target), "curl", "-6", "-sf", "-o", "/dev/null", "--connect-timeout", "2", "-m", "3",
                    f"http://[{address}]:{port}/", check=False, timeout=10).returncode == 0


def until_reachable(instance_id: str, address: str, expected: bool, timeout: float = 5.0, interval: float = 0.2,
                    what: str | None = None) -> None:
    """Pings from the guest until `address` is reachable (or, `expected` false, no longer is); fails
    after `timeout` seconds, naming `what` (default: the guest and the address)."""
    deadline = time.monotonic() + timeout
    while ping(instance_id, address) != expected:
        assert time.monotonic() < deadline, \
            f"{what or instance_id + ' -> ' + address} never became {'reachable' if expected else 'unreachable'}"
        time.sleep(interval)


def tcp_from(instance_id: str, ip: str, port: int) -> str:
    """What a TCP server at ip:port answers to a connection from the guest's network namespace ('' when none)."""
    r = host_run("ip", "netns", "exec", guest_ns(instance_id), "socat", "-T", "2", "-", f"TCP:{ip}:{port},connect-timeout=1",
                 check=False, input="", timeout=10)
    return r.stdout.strip()


def tcp_echo(namespace: str, port: int, reply: str, bind: str | None = None) -> subprocess.Popen:
    """A TCP server on `port` (of the address `bind` only, when given) in the host namespace
    `namespace` (a guest's: `guest_ns`) answering each connection with `reply`, a shell word
    (`from-$SOCAT_PEERADDR` names the peer). The caller kills it."""
    listen = f"TCP-LISTEN:{port}" + (f",bind={bind}" if bind else "") + ",fork,reuseaddr"
    return subprocess.Popen(["ip", "netns", "exec", namespace, "socat", listen, f"SYSTEM:echo {reply}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextlib.contextmanager
def helper_processes():
    """A list for the helper processes a module starts on the host (listeners, tunnels); on exit,
    even after a failure, each is killed and reaped."""
    procs: list[subprocess.Popen] = []
    try:
        yield procs
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(timeout=5)


class Outside:
    """A namespace standing for the internet: a veth to the host, in a /30 of the TEST-NET `net`
    ("192.0.2") picked by the process id, with a TCP server on 8080 answering `from-<peer address>`.
    Named `stratus-<name>-<pid>`, its host end `<dev><pid>`: unique to the process. `open` makes it,
    `close` removes it (and fails if the namespace is left)."""

    def __init__(self, name: str, dev: str, net: str):
        slot = os.getpid() % 60
        self.ns = f"stratus-{name}-{os.getpid()}"
        self.host_dev = f"{dev}{os.getpid() % 100000}"
        self.host_ip, self.ip = f"{net}.{slot * 4 + 1}", f"{net}.{slot * 4 + 2}"
        self.block = f"{net}.{slot * 4}/30"
        self.server = None

    def open(self) -> "Outside":
        host_run("ip", "netns", "add", self.ns)
        host_run("ip", "link", "add", self.host_dev, "type", "veth", "peer", "name", "eth0", "netns", self.ns)
        host_run("ip", "addr", "add", f"{self.host_ip}/30", "dev", self.host_dev)
        host_run("ip", "link", "set", self.host_dev, "up")
        host_run("ip", "-n", self.ns, "addr", "add", f"{self.ip}/30", "dev", "eth0")
        host_run("ip", "-n", self.ns, "link", "set", "eth0", "up")
        host_run("ip", "-n", self.ns, "link", "set", "lo", "up")
        host_run("ip", "-n", self.ns, "route", "add", "default", "via", self.host_ip)
        self.server = tcp_echo(self.ns, 8080, "from-$SOCAT_PEERADDR")
        return self

    def close(self) -> None:
        if self.server is not None:
            self.server.kill()
            self.server.wait()
            self.server = None
        host_run("ip", "link", "del", self.host_dev, check=False)
        host_run("ip", "netns", "del", self.ns, check=False)
        assert self.ns not in netns(), f"{self.ns} left behind"


# --------------------------------------------------------------------------------------------
# Transit gateways
# --------------------------------------------------------------------------------------------

# A GRE end where the kernel has no ip_gre (as on some CI hosts): a TUN device and a raw socket
# (protocol 47) speaking RFC 2784's wire format. Prints `ready` once it runs.
USERSPACE_GRE = r"""
import fcntl, os, select, socket, struct, sys
name, local, remote = sys.argv[1:4]
tun = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(tun, 0x400454CA, struct.pack("16sH", name.encode(), 0x1001))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
s.bind((local, 0))
print("ready", flush=True)
while True:
    ready, _, _ = select.select([tun, s], [], [])
    if tun in ready:
        p = os.read(tun, 65535)
        if p and p[0] >> 4 == 4:
            s.sendto(b"\0\0\x08\0" + p, (remote, 0))
    if s in ready:
        d, a = s.recvfrom(65535)
        o = (d[0] & 15) * 4
        flags = struct.unpack("!H", d[o:o + 2])[0]
        if a[0] != remote or d[o + 2:o + 4] != b"\x08\x00" or flags & 0x4007:
            continue
        os.write(tun, d[o + 4 + 4 * bin(flags & 0xB000).count("1"):])
"""


def gre_end(namespace: str, local: str, remote: str, helpers: list) -> None:
    """A GRE device `gre1` in `namespace` from `local` to `remote` (an appliance's end of a Connect
    peer): the kernel's (`ip tunnel add ... mode gre`) or, where the kernel has no ip_gre, the
    user-space one (USERSPACE_GRE), whose process is added to `helpers` (see helper_processes)."""
    if host_run("ip", "-n", namespace, "tunnel", "add", "gre1", "mode", "gre", "local", local, "remote", remote, "ttl", "255",
                check=False).returncode != 0:
        proc = subprocess.Popen(["ip", "netns", "exec", namespace, "python3", "-c", USERSPACE_GRE, "gre1", local, remote],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        helpers.append(proc)
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()


def gateway_namespaces() -> set[str]:
    """The host's transit gateway namespaces (stg-*), of every server on the host."""
    return {ns for ns in netns() if ns.startswith("stg-")}


@contextlib.contextmanager
def transit_gateway_server(stratus_binary: str, tmp_path_factory, name: str, *extra_args: str,
                           tools: tuple[str, ...] = ("busybox",), gone_with_instances: bool = True):
    """`guest_server` for the transit gateway modules; yields (server, the gateway namespaces the
    host had before). On exit no new gateway namespace may be left (any that is, is removed and the
    test fails): `gone_with_instances`, within 10 s of the instances' termination (a gateway's
    namespace goes with the last VPC namespace attached to it), else once the server has stopped."""
    before = gateway_namespaces()
    left: set[str] = set()

    def settled(_server):
        nonlocal left
        deadline = time.monotonic() + 10
        while gateway_namespaces() - before and time.monotonic() < deadline:
            time.sleep(0.2)
        left = gateway_namespaces() - before

    try:
        with guest_server(stratus_binary, tmp_path_factory, name, *extra_args, tools=tools,
                          after_terminate=settled if gone_with_instances else None) as srv:
            yield srv, before
        if not gone_with_instances:
            left = gateway_namespaces() - before
    finally:
        for ns in gateway_namespaces() - before:  # never leak into later tests
            host_run("ip", "netns", "del", ns, check=False)
    assert not left, f"transit gateway namespaces left behind: {left}"


def attached_vpc(ec2, gateway_id: str, cidr: str, zone: str, group: str, description: str,
                 permissions: list[dict]) -> tuple[str, str, str, str, str]:
    """`vpc_with_subnet(cidr)` with a security group `group` admitting `permissions`, attached to the
    transit gateway from its subnet. Returns (VPC, subnet, main route table, group, attachment) ids."""
    vpc, subnet, route_table = vpc_with_subnet(ec2, cidr, zone)
    sg = ec2.create_security_group(GroupName=group, Description=description, VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=permissions)
    attachment = ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=gateway_id, VpcId=vpc, SubnetIds=[subnet])["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    return vpc, subnet, route_table, sg, attachment


def wait_available(describe, timeout: float = 30.0, what: str = "resources") -> None:
    """Polls `describe()` (a list of resources with a State) until every one is `available`."""
    deadline = time.monotonic() + timeout
    while True:
        states = [r["State"] for r in describe()]
        if states and all(s == "available" for s in states):
            return
        assert time.monotonic() < deadline, f"{what} never all available: {states}"
        time.sleep(0.3)


def wait_transit_gateways(ec2, *gateway_ids: str) -> None:
    wait_available(lambda: ec2.describe_transit_gateways(TransitGatewayIds=list(gateway_ids))["TransitGateways"], what="transit gateways")


def wait_vpc_attachments(ec2, *attachment_ids: str) -> None:
    wait_available(lambda: ec2.describe_transit_gateway_vpc_attachments(
        TransitGatewayAttachmentIds=list(attachment_ids))["TransitGatewayVpcAttachments"], what="VPC attachments")
