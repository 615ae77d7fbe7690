"""EC2 Spot: requests, prices, placement scores and interruptions.

API and state cases run on the mock runtime with a short interruption notice; one case runs a
real container guest: a persistent request is fulfilled, `stratus spot interrupt` reclaims it,
the guest reads spot/instance-action from IMDS (IMDSv2), the instance is terminated and the
request is fulfilled again with a new instance. That case needs root, crun and the minimal image;
anything missing FAILS it.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from conftest import GUESTS_GROUP, ServerFactory, error_of, minimal_ami, wait_until
from guests import BOOT_TIMEOUT, GuestLab, guest_server

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

NOTICE_SECONDS = 3


@pytest.fixture(scope="module")
def srv(stratus_binary, tmp_path_factory):
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp("spot")))
    try:
        yield factory(name="stratus-spot", extra_args=["--mock-boot-seconds", "0.2", "--spot-notice-seconds", str(NOTICE_SECONDS),
                                                       "--spot-evaluation-seconds", "0.3"])
    finally:
        factory.close()


@pytest.fixture(scope="module")
def ec2(srv):
    return srv.ec2()


@pytest.fixture(scope="module")
def image(ec2):
    return minimal_ami(ec2)


def _request(ec2, sir):
    return ec2.describe_spot_instance_requests(SpotInstanceRequestIds=[sir])["SpotInstanceRequests"][0]


def _wait_status(ec2, sir, *codes, timeout=20.0):
    seen = {}

    def check():
        r = _request(ec2, sir)
        seen["last"] = (r["State"], r["Status"]["Code"])
        return r if r["Status"]["Code"] in codes else None
    try:
        return wait_until(check, timeout, f"{sir} status in {codes}")
    except AssertionError as e:
        raise AssertionError(f"{e}; last {seen.get('last')}") from None


def _instance(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def _interrupt(srv, iid, *args):
    return subprocess.run([srv.binary, "spot", "interrupt", iid, "--data-dir", srv.data_dir, *args],
                          capture_output=True, text=True, timeout=60, env=srv.env())


def test_one_time_request_is_fulfilled_and_closes_when_the_user_terminates(ec2, image):
    out = ec2.request_spot_instances(InstanceCount=1, Type="one-time", LaunchSpecification={"ImageId": image, "InstanceType": "t3.micro"},
                                     TagSpecifications=[{"ResourceType": "spot-instances-request", "Tags": [{"Key": "team", "Value": "batch"}]}])
    req = out["SpotInstanceRequests"][0]
    sir = req["SpotInstanceRequestId"]
    assert sir.startswith("sir-") and req["State"] == "open" and req["Status"]["Code"] == "pending-evaluation"
    assert req["Type"] == "one-time" and req["InstanceInterruptionBehavior"] == "terminate"
    assert float(req["SpotPrice"]) > 0 and req["ProductDescription"] == "Linux/UNIX"
    r = _wait_status(ec2, sir, "fulfilled")
    assert r["State"] == "active" and r["LaunchedAvailabilityZone"].startswith("us-east-1")
    iid = r["InstanceId"]
    inst = _instance(ec2, iid)
    assert inst["InstanceLifecycle"] == "spot" and inst["SpotInstanceRequestId"] == sir
    # Filters of DescribeSpotInstanceRequests and DescribeInstances.
    by = lambda name, value: [x["SpotInstanceRequestId"] for x in ec2.describe_spot_instance_requests(
        Filters=[{"Name": name, "Values": [value]}])["SpotInstanceRequests"]]
    assert sir in by("state", "active") and sir in by("status-code", "fulfilled") and sir in by("instance-id", iid)
    assert sir in by("launch.instance-type", "t3.micro") and sir in by("tag:team", "batch") and sir not in by("state", "open")
    assert iid in [i["InstanceId"] for res in ec2.describe_instances(Filters=[{"Name": "instance-lifecycle", "Values": ["spot"]}])["Reservations"]
                   for i in res["Instances"]]
    ec2.terminate_instances(InstanceIds=[iid])
    r = _wait_status(ec2, sir, "instance-terminated-by-user")
    assert r["State"] == "closed" and r["InstanceId"] == iid


def test_holding_states_and_cancel_before_fulfilment(ec2, image):
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    sir = ec2.request_spot_instances(Type="persistent", ValidFrom=later, ValidUntil=later + dt.timedelta(hours=1),
                                     LaunchSpecification={"ImageId": image, "InstanceType": "t3.micro"})["SpotInstanceRequests"][0]["SpotInstanceRequestId"]
    r = _wait_status(ec2, sir, "not-scheduled-yet")
    assert r["State"] == "open" and "InstanceId" not in r
    cheap = ec2.request_spot_instances(SpotPrice="0.0001", LaunchSpecification={"ImageId": image, "InstanceType": "m5.large"})["SpotInstanceRequests"][0]["SpotInstanceRequestId"]
    r = _wait_status(ec2, cheap, "price-too-low")
    assert r["State"] == "open" and r["SpotPrice"] == "0.000100"
    cancelled = ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=[sir, cheap])["CancelledSpotInstanceRequests"]
    assert {c["SpotInstanceRequestId"]: c["State"] for c in cancelled} == {sir: "cancelled", cheap: "cancelled"}
    assert _request(ec2, cheap)["Status"]["Code"] == "canceled-before-fulfillment"


def test_cancel_keeps_the_instance_running(ec2, image):
    sir = ec2.request_spot_instances(Type="persistent", LaunchSpecification={"ImageId": image, "InstanceType": "t3.micro"})["SpotInstanceRequests"][0]["SpotInstanceRequestId"]
    iid = _wait_status(ec2, sir, "fulfilled")["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    assert ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=[sir])["CancelledSpotInstanceRequests"][0]["State"] == "cancelled"
    r = _request(ec2, sir)
    assert (r["State"], r["Status"]["Code"]) == ("cancelled", "request-canceled-and-instance-running")
    time.sleep(1)
    assert _instance(ec2, iid)["State"]["Name"] == "running"
    ec2.terminate_instances(InstanceIds=[iid])


def test_request_errors(ec2, image):
    spec = {"ImageId": image, "InstanceType": "t3.micro"}
    cases = [
        (lambda: ec2.describe_spot_instance_requests(SpotInstanceRequestIds=["sir-0123abcd"]), "InvalidSpotInstanceRequestID.NotFound"),
        (lambda: ec2.describe_spot_instance_requests(SpotInstanceRequestIds=["sir-nothex!"]), "InvalidSpotInstanceRequestID.Malformed"),
        (lambda: ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=["sir-0123abcd"]), "InvalidSpotInstanceRequestID.NotFound"),
        (lambda: ec2.request_spot_instances(InstanceInterruptionBehavior="stop", LaunchSpecification=spec), "InvalidParameterCombination"),
        (lambda: ec2.request_spot_instances(SpotPrice="cheap", LaunchSpecification=spec), "InvalidParameterValue"),
        (lambda: ec2.request_spot_instances(ValidUntil=dt.datetime(2001, 1, 1, tzinfo=dt.timezone.utc), LaunchSpecification=spec), "InvalidParameterValue"),
        (lambda: ec2.request_spot_instances(InstanceCount=0, LaunchSpecification=spec), "InvalidParameterValue"),
        (lambda: ec2.request_spot_instances(LaunchSpecification={"ImageId": "ami-0123456789abcdef0", "InstanceType": "t3.micro"}), "InvalidAMIID.NotFound"),
        (lambda: ec2.request_spot_instances(DryRun=True, LaunchSpecification=spec), "DryRunOperation"),
        (lambda: ec2.describe_spot_instance_requests(MaxResults=1), "InvalidParameterValue"),
        (lambda: ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceMarketOptions={
            "MarketType": "spot", "SpotOptions": {"SpotInstanceType": "persistent", "InstanceInterruptionBehavior": "terminate"}}), "InvalidParameterCombination"),
        (lambda: ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="m5.large", InstanceMarketOptions={
            "MarketType": "spot", "SpotOptions": {"MaxPrice": "0.0001"}}), "SpotMaxPriceTooLow"),
    ]
    for call, code in cases:
        with pytest.raises(ClientError) as e:
            call()
        assert error_of(e)[0] == code, (code, error_of(e))
    # A dry run made nothing; a ClientToken answers again with the same requests.
    first = ec2.request_spot_instances(ClientToken="spot-token-1", LaunchSpecification=spec)["SpotInstanceRequests"]
    again = ec2.request_spot_instances(ClientToken="spot-token-1", LaunchSpecification=spec)["SpotInstanceRequests"]
    assert [r["SpotInstanceRequestId"] for r in first] == [r["SpotInstanceRequestId"] for r in again]
    ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=[first[0]["SpotInstanceRequestId"]])


def test_run_instances_with_spot_market_options_makes_a_fulfilled_request(ec2, image):
    inst = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=2, MaxCount=2, InstanceMarketOptions={"MarketType": "spot"},
                             TagSpecifications=[{"ResourceType": "spot-instances-request", "Tags": [{"Key": "via", "Value": "run"}]}])["Instances"]
    assert all(i["InstanceLifecycle"] == "spot" for i in inst)
    sirs = [i["SpotInstanceRequestId"] for i in inst]
    assert len(set(sirs)) == 2
    reqs = ec2.describe_spot_instance_requests(SpotInstanceRequestIds=sirs)["SpotInstanceRequests"]
    assert {(r["State"], r["Status"]["Code"], r["Type"]) for r in reqs} == {("active", "fulfilled", "one-time")}
    assert {r["InstanceId"] for r in reqs} == {i["InstanceId"] for i in inst}
    assert all({"Key": "via", "Value": "run"} in r["Tags"] for r in reqs)
    ec2.terminate_instances(InstanceIds=[i["InstanceId"] for i in inst])
    _wait_status(ec2, sirs[0], "instance-terminated-by-user")


def test_spot_price_history_is_deterministic_and_moves(ec2, srv):
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)
    kwargs = dict(InstanceTypes=["m5.large"], ProductDescriptions=["Linux/UNIX"], StartTime=start, AvailabilityZone="us-east-1a")
    first = ec2.describe_spot_price_history(**kwargs)["SpotPriceHistory"]
    assert first == ec2.describe_spot_price_history(**kwargs)["SpotPriceHistory"]
    prices = {float(p["SpotPrice"]) for p in first}
    assert len(first) > 10 and len(prices) > 3, first  # the price moves over two days
    assert all(p["InstanceType"] == "m5.large" and p["AvailabilityZone"] == "us-east-1a" and p["AvailabilityZoneId"] == "use1-az1" for p in first)
    assert all(0.096 * 0.19 < float(p["SpotPrice"]) < 0.096 * 0.46 for p in first)
    stamps = [p["Timestamp"] for p in first]
    assert stamps == sorted(stamps, reverse=True)
    # Current prices of every zone; filters; pages.
    now = ec2.describe_spot_price_history(InstanceTypes=["t3.micro", "c5.large"], ProductDescriptions=["Linux/UNIX"])["SpotPriceHistory"]
    assert {(p["InstanceType"], p["AvailabilityZone"]) for p in now} == {(t, "us-east-1" + z) for t in ("t3.micro", "c5.large") for z in "abcdef"}
    filtered = ec2.describe_spot_price_history(InstanceTypes=["t3.micro"], Filters=[{"Name": "availability-zone", "Values": ["us-east-1b"]},
                                                                                   {"Name": "product-description", "Values": ["Windows"]}])["SpotPriceHistory"]
    assert len(filtered) == 1 and filtered[0]["ProductDescription"] == "Windows"
    pages = list(ec2.get_paginator("describe_spot_price_history").paginate(PaginationConfig={"PageSize": 7}, **kwargs))
    assert [p for page in pages for p in page["SpotPriceHistory"]] == first and len(pages) > 1
    with pytest.raises(ClientError) as e:
        ec2.describe_spot_price_history(AvailabilityZone="us-east-1z")
    assert error_of(e)[0] == "InvalidParameterValue"
    # The aws CLI.
    out = srv.cli_json("--profile", "stratus", "ec2", "describe-spot-price-history", "--instance-types", "m5.large",
                       "--product-descriptions", "Linux/UNIX", "--availability-zone", "us-east-1a")
    assert out["SpotPriceHistory"][0]["SpotPrice"] == first[0]["SpotPrice"]


def test_spot_placement_scores(ec2):
    scores = ec2.get_spot_placement_scores(InstanceTypes=["m5.large", "c5.large"], TargetCapacity=10, RegionNames=["us-east-1", "eu-west-1"])["SpotPlacementScores"]
    assert {s["Region"] for s in scores} == {"us-east-1", "eu-west-1"} and all(1 <= s["Score"] <= 10 for s in scores)
    zonal = ec2.get_spot_placement_scores(InstanceTypes=["m5.large"], TargetCapacity=10, RegionNames=["us-east-1"], SingleAvailabilityZone=True)["SpotPlacementScores"]
    assert {s["AvailabilityZoneId"] for s in zonal} == {f"use1-az{n}" for n in range(1, 7)}
    huge = ec2.get_spot_placement_scores(InstanceTypes=["m5.large"], TargetCapacity=100000, RegionNames=["us-east-1"])["SpotPlacementScores"]
    assert huge[0]["Score"] == 1


def test_interruption_notice_then_termination_and_a_persistent_request_is_fulfilled_again(srv, ec2, image):
    sir = ec2.request_spot_instances(Type="persistent", LaunchSpecification={"ImageId": image, "InstanceType": "t3.micro"})["SpotInstanceRequests"][0]["SpotInstanceRequestId"]
    iid = _wait_status(ec2, sir, "fulfilled")["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    out = _interrupt(srv, iid)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)[0]["SpotInstanceRequestId"] == sir
    r = _wait_status(ec2, sir, "marked-for-termination", timeout=10)
    assert r["State"] == "active"
    # A second interruption while one is under way is refused.
    again = _interrupt(srv, iid)
    assert again.returncode == 1 and "already" in again.stderr
    # The due time is stored: a restart in the middle of the notice does not lose it.
    srv.stop()
    srv.start()
    ec2 = srv.ec2()
    wait_until(lambda: _instance(ec2, iid)["State"]["Name"] in ("shutting-down", "terminated"), 20, "the interrupted instance terminates")
    r = _wait_status(ec2, sir, "fulfilled", timeout=20)
    assert r["State"] == "active" and r["InstanceId"] != iid
    ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=[sir])
    ec2.terminate_instances(InstanceIds=[r["InstanceId"]])
    # Not a spot instance, unknown instance.
    od = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    bad = _interrupt(srv, od)
    assert bad.returncode == 1 and "not a Spot Instance" in bad.stderr
    assert _interrupt(srv, "i-0123456789abcdef0").returncode == 1
    ec2.terminate_instances(InstanceIds=[od])


def test_stop_interruption_disables_the_request_until_the_instance_starts(srv, ec2, image):
    sir = ec2.request_spot_instances(Type="persistent", InstanceInterruptionBehavior="stop",
                                     LaunchSpecification={"ImageId": image, "InstanceType": "t3.micro"})["SpotInstanceRequests"][0]["SpotInstanceRequestId"]
    iid = _wait_status(ec2, sir, "fulfilled")["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    assert _interrupt(srv, iid).returncode == 0
    _wait_status(ec2, sir, "marked-for-stop", timeout=10)
    r = _wait_status(ec2, sir, "instance-stopped-no-capacity", timeout=NOTICE_SECONDS + 15)
    assert r["State"] == "disabled"
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    ec2.start_instances(InstanceIds=[iid])
    r = _wait_status(ec2, sir, "fulfilled", timeout=15)
    assert r["State"] == "active" and r["InstanceId"] == iid
    ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=[sir])
    ec2.terminate_instances(InstanceIds=[iid])


# ---------------------------------------------------------------------------------------------
# A real guest (container runtime)
# ---------------------------------------------------------------------------------------------

GUEST_NOTICE_SECONDS = 25


@pytest.fixture(scope="module")
def guest_srv(stratus_binary, tmp_path_factory):
    with guest_server(stratus_binary, tmp_path_factory, "spot-guest", "--spot-notice-seconds", str(GUEST_NOTICE_SECONDS),
                      "--spot-evaluation-seconds", "0.5") as server:
        yield server


def test_guest_reads_the_interruption_notice_then_the_request_is_fulfilled_again(guest_srv, tmp_path):
    ec2 = guest_srv.ec2()
    lab = GuestLab(guest_srv, tmp_path, key_name="spot-guest", ec2=ec2)
    sg = lab.ssh_group("spot-ssh", description="ssh")
    sir = ec2.request_spot_instances(Type="persistent", LaunchSpecification={
        "ImageId": lab.ami, "InstanceType": "t3.micro", "KeyName": "spot-guest", "SecurityGroupIds": [sg]})["SpotInstanceRequests"][0]["SpotInstanceRequestId"]
    iid = _wait_status(ec2, sir, "fulfilled", timeout=30)["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": BOOT_TIMEOUT})
    host = _instance(ec2, iid)["PublicIpAddress"]
    lab.wait_ssh(host)
    imds = "http://169.254.169.254/latest"
    read = (f"T=$(curl -sf -X PUT {imds}/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300') && "
            f"curl -s -o /dev/null -w '%{{http_code}}' -H \"X-aws-ec2-metadata-token: $T\" {imds}/meta-data/spot/instance-action && echo && "
            f"curl -sf -H \"X-aws-ec2-metadata-token: $T\" {imds}/meta-data/instance-life-cycle")
    before = lab.ssh(host, read)
    assert before.returncode == 0 and before.stdout.split() == ["404", "spot"], (before.stdout, before.stderr)

    out = _interrupt(guest_srv, iid)
    assert out.returncode == 0, out.stderr
    marked = _wait_status(ec2, sir, "marked-for-termination", timeout=15)
    due = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=GUEST_NOTICE_SECONDS)
    notice = lab.ssh(host, (f"T=$(curl -sf -X PUT {imds}/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300') && "
                                   f"curl -sf -H \"X-aws-ec2-metadata-token: $T\" {imds}/meta-data/spot/instance-action && echo && "
                                   f"curl -sf -H \"X-aws-ec2-metadata-token: $T\" {imds}/meta-data/events/recommendations/rebalance"))
    assert notice.returncode == 0, (notice.stdout, notice.stderr)
    action_line, rebalance_line = notice.stdout.strip().splitlines()
    action = json.loads(action_line)
    assert action["action"] == "terminate"
    at = dt.datetime.strptime(action["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    assert abs((at - due).total_seconds()) < 15, (action, due, marked["Status"])
    assert "noticeTime" in json.loads(rebalance_line)

    wait_until(lambda: _instance(ec2, iid)["State"]["Name"] == "terminated", GUEST_NOTICE_SECONDS + 60, "the interrupted guest terminates")
    again = _wait_status(ec2, sir, "fulfilled", timeout=30)
    assert again["InstanceId"] != iid
    ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=[sir])
    ec2.terminate_instances(InstanceIds=[again["InstanceId"]])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[again["InstanceId"]], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
