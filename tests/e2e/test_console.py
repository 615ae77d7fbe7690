"""The web console in headless Chromium (Debian's chromium and chromium-driver, driven by Debian's
python3-selenium), against a real `stratus serve` on the mock runtime.

Covers: a browser's GET / redirected to /console/ while API clients' GET / is unchanged; sign-in
(wrong secret shows AWS's error, then the account's keys); launching an instance from the wizard,
watching it reach `running` without reloading, reading its console output and terminating it;
every main page loading with no browser console error (the browser log is collected and nothing
at SEVERE is allowed, apart from the HTTP 400 of an Auto Scaling call Stratus does not serve yet,
which the page must then show as AWS's error); pagination with NextToken; the list updating live;
and the instances page's load time with 200 instances (a measurement written to
artifacts/test-results/console/page-load.json, with only a generous sanity bound).

Screenshots of the main pages go to artifacts/test-results/console/. Chromium, its driver or
selenium missing FAILS the module (scripts/install-deps.sh installs them).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import REPO_ROOT, default_vpc, free_port, http_send, minimal_ami

MOCK_BOOT_SECONDS = 1
ARTIFACTS = os.path.join(REPO_ROOT, "artifacts", "test-results", "console")
WAIT = 20.0

try:
    import selenium  # noqa: F401
except ImportError:  # Debian's python3-selenium, when the interpreter is not Debian's python3
    sys.path.append("/usr/lib/python3/dist-packages")
try:
    from selenium import webdriver
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError as e:  # pragma: no cover - reported as a failure below
    webdriver = None
    _SELENIUM_ERROR = str(e)


def _find(*names: str) -> str | None:
    for name in names:
        path = shutil.which(name) or (name if os.path.isabs(name) and os.access(name, os.X_OK) else None)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if webdriver is None:
        pytest.fail(f"selenium is not importable ({_SELENIUM_ERROR}); run scripts/install-deps.sh (python3-selenium)", pytrace=False)
    chromium = _find("chromium", "chromium-browser", "/usr/lib/chromium/chromium")
    driver_path = _find("chromedriver", "/usr/lib/chromium/chromedriver")
    if not chromium or not driver_path:
        pytest.fail(f"headless Chromium needs chromium ({chromium}) and chromium-driver ({driver_path}); "
                    "run scripts/install-deps.sh", pytrace=False)
    os.makedirs(ARTIFACTS, exist_ok=True)
    options = Options()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1440,1000",
                "--no-proxy-server", "--no-first-run", "--disable-extensions",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


class Console:
    """The page under test, with what the tests read from it."""

    def __init__(self, driver, server):
        self.d = driver
        self.server = server
        self.base = server.endpoint + "/console/"

    def wait(self, condition, timeout: float = WAIT, what: str = ""):
        try:
            return WebDriverWait(self.d, timeout, poll_frequency=0.1,
                                 ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(condition)
        except TimeoutException:
            raise AssertionError(f"timed out waiting for {what or condition}; page: {self.main_text()[:1500]}") from None

    def main_text(self) -> str:
        # Read in one script: the pages re-render themselves while polling, so held elements go stale.
        return self.d.execute_script("return document.getElementById('main').innerText") or ""

    def column(self, n: int) -> list[str]:
        return self.d.execute_script(
            "return [...document.querySelectorAll('#main tbody tr td:nth-child(' + arguments[0] + ')')].map(e => e.textContent.trim())", n)

    def click(self, selector: str):
        """Click in one script (the element may be re-rendered between a find and a click)."""
        assert self.d.execute_script("const e = document.querySelector(arguments[0]); if (!e || e.disabled) return false; e.click(); return true",
                                     selector), f"{selector} is missing or disabled"

    def state_text(self) -> str:
        return self.d.execute_script("const e = document.querySelector('#main .state'); return e ? e.textContent.trim() : ''")

    def go(self, hash_: str):
        """Navigate to a page of the console and wait for its first render."""
        self.d.execute_script("location.hash = arguments[0]", hash_)
        self.wait(lambda d: d.execute_script("return document.body.dataset.ready") == hash_, what=f"page {hash_} to render")

    def logs(self) -> list[dict]:
        return self.d.get_log("browser")

    def severe(self, allow=lambda entry: False) -> list[dict]:
        return [e for e in self.logs() if e["level"] == "SEVERE" and not allow(e)]

    def shot(self, name: str):
        self.d.save_screenshot(os.path.join(ARTIFACTS, f"{name}.png"))

    def errors_on_page(self) -> list[str]:
        return self.d.execute_script("return [...document.querySelectorAll('#main .error')].map(e => e.innerText.trim())")

    def sign_in(self, access_key: str, secret: str, region: str = "us-east-1"):
        self.d.find_element(By.ID, "access-key-id").clear()
        self.d.find_element(By.ID, "access-key-id").send_keys(access_key)
        self.d.find_element(By.ID, "secret-access-key").clear()
        self.d.find_element(By.ID, "secret-access-key").send_keys(secret)
        Select(self.d.find_element(By.ID, "signin-region")).select_by_value(region)
        self.d.find_element(By.ID, "sign-in").click()


@pytest.fixture(scope="module")
def console(browser, server):
    return Console(browser, server)


def _client(server, service: str):
    creds = server.credentials
    from conftest import _plain_session  # the suite's session that reads no AWS config files
    return _plain_session().client(service, region_name="us-east-1", endpoint_url=server.endpoint,
                                   aws_access_key_id=creds.access_key, aws_secret_access_key=creds.secret_key)


# --------------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _redirect_of(url: str, headers: dict | None = None) -> tuple[int, str | None]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, r.headers.get("Location")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Location")


def test_browser_visit_redirects_and_api_get_is_unchanged(server):
    browser_accept = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    assert _redirect_of(server.endpoint + "/", browser_accept) == (302, "/console/")
    assert _redirect_of(server.endpoint + "/console") == (302, "/console/")
    # An API client's unsigned GET / is the gateway's answer, as before.
    api = http_send("GET", server.endpoint + "/")
    assert api.status in (400, 401, 403) and api.code == "MissingAuthenticationToken", api
    # A signed API GET that asks for HTML is still an API call.
    signed = server.raw({"Action": "DescribeRegions"}, method="GET")
    assert signed.status == 200 and "regionInfo" in signed.body, signed
    page = http_send("GET", server.endpoint + "/console/")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html"), page
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    script = http_send("GET", server.endpoint + "/console/app.js")
    assert script.status == 200 and script.headers["Content-Type"].startswith("text/javascript")
    assert http_send("GET", server.endpoint + "/console/nope.js").status == 404


def test_sign_in(console, server):
    console.d.get(console.server.endpoint + "/")  # the redirect, as a person opening the endpoint
    console.wait(lambda d: d.execute_script("return document.body.dataset.ready") == "sign-in", what="the sign-in form")
    assert console.d.current_url.startswith(console.base)
    console.shot("01-sign-in")
    creds = server.credentials
    console.sign_in(creds.access_key, "not-the-secret")
    error = console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "form.signin .error"), what="the sign-in error")[0]
    assert "SignatureDoesNotMatch" in error.text, error.text
    console.logs()  # the refused call's 403 is expected here
    console.sign_in(creds.access_key, creds.secret_key)
    console.wait(lambda d: d.execute_script("return document.body.dataset.ready") == "#/instances", what="the instances page")
    identity = console.d.find_element(By.ID, "identity").text
    assert identity.startswith("arn:aws:iam::") and identity.endswith(":root"), identity
    stored = json.loads(console.d.execute_script("return sessionStorage.getItem('stratus.console.session')"))
    assert stored["accessKeyId"] == creds.access_key and stored["region"] == "us-east-1"
    assert console.severe() == []


def test_launch_from_wizard_to_running_console_output_and_terminate(console, server):
    ec2 = server.ec2("us-east-1")
    ec2.create_key_pair(KeyName="console-key")
    console.go("#/launch")
    console.shot("03-launch-wizard")
    d = console.d
    d.find_element(By.ID, "launch-name").send_keys("from-the-console")
    Select(d.find_element(By.ID, "launch-ami")).select_by_value(minimal_ami(ec2))
    Select(d.find_element(By.ID, "launch-type")).select_by_visible_text("t3.micro")
    Select(d.find_element(By.ID, "launch-key")).select_by_visible_text("console-key")
    subnet = Select(d.find_element(By.ID, "launch-subnet")).first_selected_option.get_attribute("value")
    checked = [b.get_attribute("value") for b in d.find_elements(By.CSS_SELECTOR, "#launch-groups input:checked")]
    assert len(checked) == 1, "the default security group of the subnet's VPC is preselected"
    d.find_element(By.ID, "launch-submit").click()
    console.wait(lambda d: d.execute_script("return /^#\\/instances\\/i-/.test(location.hash) && document.body.dataset.ready === location.hash"),
                 what="the new instance's page")
    instance_id = d.execute_script("return location.hash").split("/")[-1]
    # The page polls: the state moves to running and the console output appears without a reload.
    console.wait(lambda d: console.state_text() == "running", timeout=30, what="state running")
    output = console.wait(lambda d: d.find_elements(By.ID, "console-output"), timeout=30, what="console output")[0]
    assert output.text.strip(), "console output is empty"
    console.shot("04-instance-detail")
    described = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert described["KeyName"] == "console-key" and described["InstanceType"] == "t3.micro"
    assert described["SubnetId"] == subnet and [g["GroupId"] for g in described["SecurityGroups"]] == checked
    assert {"Key": "Name", "Value": "from-the-console"} in described["Tags"]
    console.click('#main button[data-action="instance-terminate"]')
    console.wait(EC.visibility_of_element_located((By.ID, "confirm")), what="the confirmation dialog")
    d.find_element(By.ID, "confirm-ok").click()
    console.wait(lambda d: console.state_text() in ("shutting-down", "terminated"),
                 what="the instance terminating")
    state = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state in ("shutting-down", "terminated")
    assert console.severe() == []


def _populate(server):
    """One of each resource the pages show."""
    ec2 = server.ec2("us-east-1")
    vpc = default_vpc(ec2)
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]][:2]
    sg = ec2.create_security_group(GroupName="console-web", Description="web servers", VpcId=vpc["VpcId"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "http"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    run = ec2.run_instances(ImageId=minimal_ami(ec2), InstanceType="t3.micro", MinCount=1, MaxCount=1, SecurityGroupIds=[sg],
                            SubnetId=subnets[0], TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}]}])
    instance = run["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, VolumeType="gp3")["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    ec2.create_snapshot(VolumeId=volume, Description="console snapshot")
    address = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=address["AllocationId"], InstanceId=instance)
    elb = _client(server, "elbv2")
    lb = elb.create_load_balancer(Name="console-alb", Subnets=subnets, SecurityGroups=[sg])["LoadBalancers"][0]
    tg = elb.create_target_group(Name="console-web", Protocol="HTTP", Port=80, VpcId=vpc["VpcId"], TargetType="instance")["TargetGroups"][0]
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": instance, "Port": 80}])
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=free_port(),
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    cw = _client(server, "cloudwatch")
    now = time.time()
    cw.put_metric_data(Namespace="Console/Test", MetricData=[
        {"MetricName": "Requests", "Dimensions": [{"Name": "Service", "Value": "web"}], "Timestamp": now - 60 * k, "Value": float(v)}
        for k, v in enumerate([5, 9, 4, 12, 7, 15, 10])])
    cw.put_metric_alarm(AlarmName="console-high-requests", Namespace="Console/Test", MetricName="Requests",
                        Dimensions=[{"Name": "Service", "Value": "web"}], Statistic="Average", Period=60, EvaluationPeriods=1,
                        Threshold=100, ComparisonOperator="GreaterThanThreshold")
    return {"instance": instance, "sg": sg, "volume": volume, "lb": lb["LoadBalancerName"], "address": address["PublicIp"]}


def test_every_main_page_loads_without_browser_errors(console, server):
    made = _populate(server)
    pages = [
        ("#/instances", "02-instances", made["instance"]),
        (f"#/instances/{made['instance']}", "05-instance-web-1", "Console output"),
        ("#/images", "06-amis", "stratus-minimal"),
        ("#/volumes", "07-volumes-snapshots", made["volume"]),
        ("#/security-groups", "08-security-groups", made["sg"]),
        (f"#/security-groups/{made['sg']}", "09-security-group-rules", "10.0.0.0/8"),
        ("#/key-pairs", "10-key-pairs", "console-key"),
        ("#/addresses", "11-elastic-ips", made["address"]),
        ("#/vpcs", "12-vpcs-subnets", "172.31.0.0/16"),
        ("#/load-balancers", "13-load-balancers", made["lb"]),
        (f"#/load-balancers/{made['lb']}", "14-load-balancer-targets", made["instance"]),
        ("#/cloudwatch", "15-cloudwatch", "console-high-requests"),
        ("#/cloudwatch?" + "ns=Console%2FTest&metric=Requests&dims=" + "%5B%7B%22Name%22%3A%22Service%22%2C%22Value%22%3A%22web%22%7D%5D",
         "16-cloudwatch-chart", "data point"),
        ("#/auto-scaling", "17-auto-scaling", "Auto Scaling groups"),
    ]
    console.logs()
    problems = []
    for hash_, shot, expected in pages:
        console.go(hash_)
        console.wait(lambda d, e=expected: e in console.main_text(), what=f"{expected!r} on {hash_}")
        console.shot(shot)
        errors = console.errors_on_page()
        if hash_ == "#/auto-scaling":
            # Until Stratus serves Auto Scaling the call fails: the page must show AWS's code and message.
            if errors:
                assert any("UnsupportedOperation" in e or "NotImplemented" in e or ":" in e for e in errors), errors
            allowed = (lambda entry: bool(errors) and entry.get("source") == "network" and " 400 " in entry["message"])
        else:
            if errors:
                problems.append(f"{hash_}: {errors}")
            allowed = (lambda entry: False)
        severe = console.severe(allowed)
        if severe:
            problems.append(f"{hash_}: browser console {severe}")
    assert not problems, "\n".join(problems)
    console.go("#/cloudwatch?ns=Console%2FTest&metric=Requests&dims=%5B%7B%22Name%22%3A%22Service%22%2C%22Value%22%3A%22web%22%7D%5D")
    assert console.d.find_elements(By.CSS_SELECTOR, "#metric-chart polyline"), "GetMetricData drew a line"


def test_lists_update_live_and_page_with_next_token(console, server):
    ec2 = server.ec2("us-east-1")
    console.go("#/instances")
    before = console.main_text()
    run = ec2.run_instances(ImageId=minimal_ami(ec2), InstanceType="t3.nano", MinCount=1, MaxCount=1)
    new_id = run["Instances"][0]["InstanceId"]
    assert new_id not in before
    # No navigation: the page's own polling shows it.
    console.wait(lambda d: new_id in console.main_text(), timeout=15, what="the new instance to appear by polling")
    # 200 instances in all (the load-time test below uses them too): three pages of 100.
    have = sum(len(r["Instances"]) for r in ec2.describe_instances()["Reservations"])
    ec2.run_instances(ImageId=minimal_ami(ec2), InstanceType="t3.nano", MinCount=200 - have, MaxCount=200 - have)
    total = sum(len(r["Instances"]) for r in ec2.describe_instances()["Reservations"])
    assert total == 200
    Select(console.d.find_element(By.CSS_SELECTOR, 'select[data-change="page-size"]')).select_by_value("100")
    console.wait(lambda d: len(console.column(3)) == 100, what="a page of 100")
    pager = "return document.querySelector('#main .pager').firstChild.textContent.trim()"
    seen = []
    for page in range(1, 10):
        seen += console.column(3)
        if not console.d.execute_script("return !document.querySelector('#main button[data-action=\"page-next\"]').disabled"):
            break
        console.click('#main button[data-action="page-next"]')
        console.wait(lambda d, p=page: d.execute_script(pager) == f"Page {p + 1}", what=f"page {page + 1}")
    assert page >= 2 and len(seen) == len(set(seen)) == total, (page, len(seen), len(set(seen)), total)
    console.click('#main button[data-action="page-prev"]')
    console.wait(lambda d: d.execute_script(pager) == f"Page {page - 1}", what="the previous page")
    assert console.severe() == []


def test_instances_page_load_time_with_200_instances(console, server):
    ec2 = server.ec2("us-east-1")
    total = sum(len(r["Instances"]) for r in ec2.describe_instances()["Reservations"])
    assert total >= 200
    console.go("#/instances")
    console.d.execute_script("sessionStorage.setItem('stratus.console.pageSize', '200')")
    samples, api = [], []
    for _ in range(6):
        console.d.refresh()  # a full page load: HTML, scripts, the signed DescribeInstances and the table
        console.wait(lambda d: d.execute_script("return document.body.dataset.ready") == "#/instances", what="the instances page")
        rows = len(console.column(3))
        assert rows == 200, rows
        samples.append(console.d.execute_script("return window.__stratusReady[0].sinceNavigationMs"))
        api.append(console.d.execute_script("return window.__stratusCalls.find(c => c.action === 'DescribeInstances').ms"))
    console.shot("18-instances-200")
    warm = samples[1:]
    result = {"instances": total, "rows_rendered": 200, "runs": len(samples), "first_ms": round(samples[0], 1),
              "median_ms": round(statistics.median(warm), 1), "max_ms": round(max(warm), 1), "samples_ms": [round(s, 1) for s in samples],
              "describe_instances_ms": [round(a, 1) for a in api], "load_average": os.getloadavg()[0],
              "measured": "navigation start to the instances table rendered (performance.now()), full reload, headless Chromium"}
    with open(os.path.join(ARTIFACTS, "page-load.json"), "w") as f:
        json.dump(result, f, indent=2)
    print("console instances page with 200 instances:", json.dumps(result))
    assert max(samples) < 10_000, f"sanity bound: {samples}"
    console.d.execute_script("sessionStorage.removeItem('stratus.console.pageSize')")
    assert console.severe() == []


def test_iam_user_sees_aws_errors_then_what_its_policy_allows(console, server):
    iam = _client(server, "iam")
    iam.create_user(UserName="console-reader")
    key = iam.create_access_key(UserName="console-reader")["AccessKey"]
    console.d.execute_script("sessionStorage.clear(); location.hash = '#/instances'")
    console.d.refresh()
    console.wait(lambda d: d.execute_script("return document.body.dataset.ready") == "sign-in", what="the sign-in form")
    console.sign_in(key["AccessKeyId"], key["SecretAccessKey"])
    console.wait(lambda d: d.execute_script("return document.body.dataset.ready") == "#/instances", what="the instances page")
    assert console.d.find_element(By.ID, "identity").text.endswith(":user/console-reader")
    # No policy: the page shows EC2's own refusal, code and message.
    error = console.wait(lambda d: console.errors_on_page(), what="the authorization error")[0]
    assert error.startswith("UnauthorizedOperation: You are not authorized to perform this operation."), error
    console.shot("19-iam-user-denied")
    iam.put_user_policy(UserName="console-reader", PolicyName="describe", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}))
    # The page's next poll is allowed.
    console.wait(lambda d: not console.errors_on_page() and len(console.column(3)) > 0, timeout=15, what="the list once allowed")
    refused = [e for e in console.logs() if e["level"] == "SEVERE"]
    assert all(e.get("source") == "network" and " 403 " in e["message"] for e in refused), refused


def test_sign_out_forgets_the_keys(console):
    console.d.find_element(By.ID, "sign-out").click()
    console.wait(lambda d: d.execute_script("return document.body.dataset.ready") == "sign-in", what="the sign-in form")
    assert console.d.execute_script("return sessionStorage.getItem('stratus.console.session')") is None
