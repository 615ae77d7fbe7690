"""The web console in headless Chromium (Debian's chromium and chromium-driver, driven by Debian's
python3-selenium), against a real `stratus serve` on the mock runtime.

Covers: a browser's GET / redirected to /console/ while API clients' GET / is unchanged; sign-in
(wrong secret shows AWS's error, then the account's keys); launching an instance from the wizard,
watching it reach `running` without reloading, reading its console output and terminating it;
every main page loading with no browser console error (the browser log is collected and nothing
at SEVERE is allowed, apart from the HTTP 400 of an Auto Scaling call Stratus does not serve yet,
which the page must then show as AWS's error); pagination with NextToken; the list updating live;
and the instances page's load time with 200 instances (a measurement written to
artifacts/test-results/console/page-load.json, with only a generous sanity bound). The writes, each
checked with boto3: key pairs (created with the private key shown once, imported, deleted), a
security group with rules authorized and revoked and EC2's DependencyViolation shown for a group in
use, a volume created/tagged/attached/detached/snapshotted/deleted, an Elastic IP
allocated/associated/disassociated/released, a VPC and subnet, an Auto Scaling group's desired
capacity (and its ValidationError in the dialog), an alarm deleted; search by words, key=value and
state across a live refresh; a chart of several statistics with the range and period pickers.

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
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
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

    def choose(self, selector: str, value: str):
        """Pick an option of a select of the page in one script (the page may redraw it between a find and a pick)."""
        assert self.d.execute_script(
            "const e = document.querySelector(arguments[0]); if (!e) return false; e.value = arguments[1];"
            " e.dispatchEvent(new Event('change', { bubbles: true })); return e.value === arguments[1]", selector, value), \
            f"{selector} has no option {value!r}"

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


@pytest.fixture(scope="module")
def made(server):
    return _populate(server)


def test_every_main_page_loads_without_browser_errors(console, server, made):
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


# ---- writes from the console: each checked with boto3 ------------------------------------------

IMPORT_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEu795vFx5mDonJBw5WAGx2MVy1us/YizcIZbvUY4amb console-import"


def _open_dialog(console, selector: str, dialog_id: str):
    console.click(selector)
    console.wait(lambda d: d.execute_script("const g = document.getElementById('form-dialog'); return g.open && g.dataset.dialog") == dialog_id,
                 what=f"the {dialog_id} dialog")


def _fill(console, **fields):
    """Types into the dialog's fields (inputs by keyboard; selects by value)."""
    for name, value in fields.items():
        el = console.d.find_element(By.ID, f"dlg-{name}")
        if el.tag_name == "select":
            Select(el).select_by_value(str(value))
        else:
            el.clear()
            el.send_keys(str(value))


def _submit(console, keep_open: bool = False):
    console.click("#form-dialog-submit")
    if keep_open:
        return
    def closed(d):
        errors = d.execute_script("return document.getElementById('form-dialog-error').innerText")
        assert not errors, errors
        return not d.execute_script("return document.getElementById('form-dialog').open")
    console.wait(closed, what="the dialog to close")


def _confirm(console):
    console.wait(lambda d: d.execute_script("return document.getElementById('confirm').open"), what="the confirmation")
    assert console.d.switch_to.active_element.get_attribute("id") == "confirm-cancel", "Cancel has the focus"
    console.d.find_element(By.ID, "confirm-ok").click()


def _search(console, words: str):
    """Types into the search box as a person does: keystrokes to the focused box (the list may be
    redrawn between two keys; the box keeps its focus), so each key is an input event."""
    console.d.execute_script("document.getElementById('search').focus()")
    chain = ActionChains(console.d).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).send_keys(Keys.BACKSPACE)
    if words:
        chain = chain.send_keys(words)
    chain.perform()


def _until(predicate, timeout: float = 15.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_key_pair_create_shows_the_private_key_once_import_and_delete(console, server):
    ec2 = server.ec2("us-east-1")
    console.go("#/key-pairs")
    _open_dialog(console, 'button[data-action="keypair-create"]', "keypair-create")
    assert console.d.switch_to.active_element.get_attribute("id") == "dlg-KeyName", "the first field has the focus"
    _fill(console, KeyName="console-made", KeyType="ed25519")
    console.shot("20-dialog-create-key-pair")
    _submit(console, keep_open=True)
    material = console.wait(lambda d: d.execute_script("const e = document.getElementById('private-key-material'); return e && e.value"),
                            what="the private key")
    assert material.startswith("-----BEGIN OPENSSH PRIVATE KEY-----"), material[:60]
    download = console.d.find_element(By.ID, "private-key-download")
    assert download.get_attribute("download") == "console-made.pem" and download.get_attribute("href").startswith("blob:")
    console.shot("21-dialog-private-key-once")
    console.d.find_element(By.ID, "form-dialog-cancel").click()  # "Close"
    console.wait(lambda d: not d.execute_script("return document.getElementById('form-dialog').open"), what="the dialog to close")
    assert console.d.execute_script("return document.getElementById('form-dialog-body').innerHTML") == "", "the key is gone from the page"
    made = ec2.describe_key_pairs(KeyNames=["console-made"])["KeyPairs"][0]
    assert made["KeyType"] == "ed25519"
    console.wait(lambda d: "console-made" in console.main_text(), what="the new key in the list")

    _open_dialog(console, 'button[data-action="keypair-import"]', "keypair-import")
    _fill(console, KeyName="console-imported", PublicKey=IMPORT_KEY)
    console.shot("22-dialog-import-key")
    _submit(console)
    imported = ec2.describe_key_pairs(KeyNames=["console-imported"], IncludePublicKey=True)["KeyPairs"][0]
    assert imported["PublicKey"].split()[:2] == IMPORT_KEY.split()[:2]

    for name in ("console-made", "console-imported"):
        console.wait(lambda d, n=name: d.find_elements(By.CSS_SELECTOR, f'button[data-action="keypair-delete"][data-id="{n}"]'), what=f"{name}'s row")
        console.click(f'button[data-action="keypair-delete"][data-id="{name}"]')
        _confirm(console)
        console.wait(lambda d, n=name: f"Deleted key pair {n}" in console.main_text(), what="the deletion notice")
    names = {k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]}
    assert not names & {"console-made", "console-imported"}, names
    assert console.severe() == []


def test_security_group_rules_and_an_api_error(console, server, made):
    ec2 = server.ec2("us-east-1")
    console.go("#/security-groups")
    _open_dialog(console, 'button[data-action="sg-create"]', "sg-create")
    _fill(console, GroupName="console-made-sg", GroupDescription="made in the console")
    console.shot("23-dialog-create-security-group")
    _submit(console)
    group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["console-made-sg"]}])["SecurityGroups"][0]
    assert group["VpcId"] == default_vpc(ec2)["VpcId"], "the default VPC is offered first"
    gid = group["GroupId"]
    console.go(f"#/security-groups/{gid}")
    _open_dialog(console, 'button[data-action="rule-add"][data-egress="false"]', "rule-add")
    _fill(console, protocol="tcp", **{"from": "8080", "to": "8090", "peer": "192.168.10.0/24", "description": "from the console"})
    console.shot("24-dialog-add-inbound-rule")
    _submit(console)
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [gid]}])["SecurityGroupRules"]
    rule = [r for r in rules if not r["IsEgress"] and r.get("CidrIpv4") == "192.168.10.0/24"]
    assert len(rule) == 1 and (rule[0]["IpProtocol"], rule[0]["FromPort"], rule[0]["ToPort"], rule[0]["Description"]) == ("tcp", 8080, 8090, "from the console"), rules
    # An outbound rule to another group.
    _open_dialog(console, 'button[data-action="rule-add"][data-egress="true"]', "rule-add")
    _fill(console, protocol="tcp", **{"from": "5432", "peer": made["sg"]})
    _submit(console)
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [gid]}])["SecurityGroupRules"]
    assert any(r["IsEgress"] and r.get("ReferencedGroupInfo", {}).get("GroupId") == made["sg"] and r["FromPort"] == 5432 == r["ToPort"] for r in rules), rules
    rule_id = rule[0]["SecurityGroupRuleId"]
    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f'button[data-action="rule-revoke"][data-rule="{rule_id}"]'), what="the rule's row")
    console.click(f'button[data-action="rule-revoke"][data-rule="{rule_id}"]')
    _confirm(console)
    console.wait(lambda d: f"Deleted rule {rule_id}" in console.main_text(), what="the revoke notice")
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [gid]}])["SecurityGroupRules"]
    assert not any(r["SecurityGroupRuleId"] == rule_id for r in rules), rules
    assert console.severe() == []

    # Deleting a group an instance uses: the page shows EC2's DependencyViolation, code and message.
    console.go("#/security-groups")
    console.click(f'button[data-action="sg-delete"][data-id="{made["sg"]}"]')
    _confirm(console)
    error = console.wait(lambda d: d.execute_script(
        "const e = document.querySelector('#main .flash .error'); return e && e.dataset.errorCode + ' | ' + e.innerText"), what="the API error")
    assert error.startswith("DependencyViolation | Delete failed: DependencyViolation: "), error
    console.shot("25-api-error-group-in-use")
    assert ec2.describe_security_groups(GroupIds=[made["sg"]])["SecurityGroups"]
    refused = console.severe(lambda e: e.get("source") == "network" and " 400 " in e["message"])
    assert refused == []
    console.click(f'button[data-action="sg-delete"][data-id="{gid}"]')
    _confirm(console)
    console.wait(lambda d: f"Deleted security group {gid}" in console.main_text(), what="the deletion notice")
    assert not ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [gid]}])["SecurityGroups"]
    assert console.severe() == []


def test_volume_create_tag_attach_detach_snapshot_delete(console, server, made):
    ec2 = server.ec2("us-east-1")
    az = ec2.describe_instances(InstanceIds=[made["instance"]])["Reservations"][0]["Instances"][0]["Placement"]["AvailabilityZone"]
    console.go("#/volumes")
    _open_dialog(console, 'button[data-action="volume-create"]', "volume-create")
    _fill(console, AvailabilityZone=az, Size="3", VolumeType="gp3", Name="console-vol")
    console.shot("26-dialog-create-volume")
    _submit(console)
    volume = ec2.describe_volumes(Filters=[{"Name": "tag:Name", "Values": ["console-vol"]}])["Volumes"][0]
    vid = volume["VolumeId"]
    assert (volume["Size"], volume["VolumeType"], volume["AvailabilityZone"]) == (3, "gp3", az)
    ec2.get_waiter("volume_available").wait(VolumeIds=[vid], WaiterConfig={"Delay": 1, "MaxAttempts": 30})

    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f'button[data-action="edit-tags"][data-id="{vid}"]'), what="the volume's row")
    _open_dialog(console, f'button[data-action="edit-tags"][data-id="{vid}"]', "edit-tags")
    _fill(console, Name="console-vol-2", others="team=web\nenv=test")
    console.shot("27-dialog-edit-tags")
    _submit(console)
    tags = {t["Key"]: t["Value"] for t in ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]["Tags"]}
    assert tags == {"Name": "console-vol-2", "team": "web", "env": "test"}, tags

    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f'button[data-action="volume-attach"][data-id="{vid}"]'), what="Attach")
    _open_dialog(console, f'button[data-action="volume-attach"][data-id="{vid}"]', "volume-attach")
    _fill(console, InstanceId=made["instance"], Device="/dev/sdf")
    console.shot("28-dialog-attach-volume")
    _submit(console)
    attached = _until(lambda: [a for a in ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]["Attachments"] if a["State"] == "attached"],
                      what="the volume attached")
    assert (attached[0]["InstanceId"], attached[0]["Device"]) == (made["instance"], "/dev/sdf")
    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f'button[data-action="volume-detach"][data-id="{vid}"]'), what="Detach")
    console.click(f'button[data-action="volume-detach"][data-id="{vid}"]')
    _confirm(console)
    _until(lambda: ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]["State"] == "available", what="the volume detached")

    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f'button[data-action="snapshot-create"][data-id="{vid}"]'), what="Snapshot")
    _open_dialog(console, f'button[data-action="snapshot-create"][data-id="{vid}"]', "snapshot-create")
    _fill(console, Description="from the console")
    _submit(console)
    snap = ec2.describe_snapshots(Filters=[{"Name": "volume-id", "Values": [vid]}])["Snapshots"][0]
    assert snap["Description"] == "from the console"
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[snap["SnapshotId"]], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f'button[data-action="snapshot-delete"][data-id="{snap["SnapshotId"]}"]'), what="the snapshot")
    console.click(f'button[data-action="snapshot-delete"][data-id="{snap["SnapshotId"]}"]')
    _confirm(console)
    console.wait(lambda d: f"Deleted snapshot {snap['SnapshotId']}" in console.main_text(), what="the snapshot deleted")
    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f'button[data-action="volume-delete"][data-id="{vid}"]'), what="Delete")
    console.click(f'button[data-action="volume-delete"][data-id="{vid}"]')
    _confirm(console)
    console.wait(lambda d: f"Deleted volume {vid}" in console.main_text(), what="the volume deleted")
    left = ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [vid]}])["Volumes"]
    assert not left or left[0]["State"] in ("deleting", "deleted"), left
    assert console.severe() == []


def test_elastic_ip_allocate_associate_disassociate_release(console, server):
    ec2 = server.ec2("us-east-1")
    run = ec2.run_instances(ImageId=minimal_ami(ec2), InstanceType="t3.nano", MinCount=1, MaxCount=1,
                            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "eip-target"}]}])
    instance = run["Instances"][0]["InstanceId"]
    # AssociateAddress wants a running (or stopped) instance, as on AWS: not a pending one.
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    console.go("#/addresses")
    _open_dialog(console, 'button[data-action="address-allocate"]', "address-allocate")
    _fill(console, Name="console-eip")
    _submit(console)
    address = ec2.describe_addresses(Filters=[{"Name": "tag:Name", "Values": ["console-eip"]}])["Addresses"][0]
    alloc, ip = address["AllocationId"], address["PublicIp"]
    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f'button[data-action="address-associate"][data-id="{alloc}"]'), what="Associate")
    _open_dialog(console, f'button[data-action="address-associate"][data-id="{alloc}"]', "address-associate")
    _fill(console, InstanceId=instance)
    console.shot("29-dialog-associate-address")
    _submit(console)
    address = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]
    assert address.get("InstanceId") == instance and address.get("AssociationId"), address
    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f'button[data-action="address-disassociate"][data-id="{address["AssociationId"]}"]'),
                 what="Disassociate")
    console.click(f'button[data-action="address-disassociate"][data-id="{address["AssociationId"]}"]')
    _confirm(console)
    console.wait(lambda d: f"Disassociated {ip}" in console.main_text(), what="the disassociation")
    assert "InstanceId" not in ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]
    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f'button[data-action="address-associate"][data-id="{alloc}"]'), what="Associate again")
    console.click(f'button[data-action="address-release"][data-id="{alloc}"]')
    _confirm(console)
    console.wait(lambda d: f"Released {ip}" in console.main_text(), what="the release")
    assert not ec2.describe_addresses(Filters=[{"Name": "allocation-id", "Values": [alloc]}])["Addresses"]
    ec2.terminate_instances(InstanceIds=[instance])
    assert console.severe() == []


def test_vpc_and_subnet_create_and_delete(console, server):
    ec2 = server.ec2("us-east-1")
    console.go("#/vpcs")
    _open_dialog(console, 'button[data-action="vpc-create"]', "vpc-create")
    _fill(console, Name="console-vpc", CidrBlock="10.42.0.0/16")
    _submit(console)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["console-vpc"]}])["Vpcs"][0]
    assert vpc["CidrBlock"] == "10.42.0.0/16"
    _open_dialog(console, 'button[data-action="subnet-create"]', "subnet-create")
    _fill(console, VpcId=vpc["VpcId"], CidrBlock="10.42.1.0/24", Name="console-subnet")
    console.shot("30-dialog-create-subnet")
    _submit(console)
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"][0]
    assert subnet["CidrBlock"] == "10.42.1.0/24"
    for action, rid in (("subnet-delete", subnet["SubnetId"]), ("vpc-delete", vpc["VpcId"])):
        console.wait(lambda d, a=action, r=rid: d.find_elements(By.CSS_SELECTOR, f'button[data-action="{a}"][data-id="{r}"]'), what=rid)
        console.click(f'button[data-action="{action}"][data-id="{rid}"]')
        _confirm(console)
        console.wait(lambda d, r=rid: f"Deleted {'subnet' if r.startswith('subnet') else 'VPC'} {r}" in console.main_text(), what=f"{rid} deleted")
    assert not ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Vpcs"]
    assert console.severe() == []


def test_search_filters_the_instance_list_across_refreshes(console, server, made):
    console.go("#/instances")
    console.wait(lambda d: len(console.column(3)) >= 3, what="the instances")
    _search(console, "web-1")
    console.wait(lambda d: console.column(3) == [made["instance"]], what="only web-1")
    console.shot("31-search-instances")
    # A live refresh keeps the search, the focus and the caret.
    calls = console.d.execute_script("return window.__stratusCalls.filter(c => c.action === 'DescribeInstances').length")
    console.wait(lambda d: d.execute_script("return window.__stratusCalls.filter(c => c.action === 'DescribeInstances').length") > calls,
                 timeout=10, what="a poll")
    time.sleep(0.3)
    assert console.column(3) == [made["instance"]]
    assert console.d.execute_script("const e = document.activeElement; return e.id === 'search' && e.value === 'web-1' && e.selectionStart === 5")
    # key=value searches tags; the state picker narrows by state.
    _search(console, "Name=from-the")
    console.wait(lambda d: len(console.column(3)) == 1 and console.column(2) == ["from-the-console"], what="the Name=from-the match")
    _search(console, "")
    console.choose("#state-filter", "running")
    console.wait(lambda d: console.column(3) and all(s == "running" for s in console.column(4)), what="only running instances")
    assert made["instance"] in console.column(3) and not any(n == "from-the-console" for n in console.column(2))
    console.choose("#state-filter", "")
    console.wait(lambda d: any(n == "from-the-console" for n in console.column(2)), what="every state again")
    assert console.severe() == []


def test_chart_with_several_statistics_range_and_period(console, server):
    metric = "%5B%7B%22ns%22%3A%22Console%2FTest%22%2C%22metric%22%3A%22Requests%22%2C%22dims%22%3A%5B%7B%22Name%22%3A%22Service%22%2C%22Value%22%3A%22web%22%7D%5D%7D%5D"
    console.go(f"#/cloudwatch?m={metric}&stats=Average,Maximum,Minimum")
    console.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#metric-chart polyline")) == 3, what="three lines")
    legend = console.d.execute_script("return [...document.querySelectorAll('#metric-chart-panel .legend li')].map(e => e.innerText)")
    assert [line.split(" Console/")[0] for line in legend] == ["Requests Average", "Requests Maximum", "Requests Minimum"], legend
    console.shot("32-chart-several-statistics")
    console.choose("#chart-hours", "1")
    console.wait(lambda d: "hours=1" in d.execute_script("return location.hash") and d.find_elements(By.CSS_SELECTOR, "#metric-chart polyline"),
                 what="the 1-hour range")
    console.choose("#chart-period", "300")
    console.wait(lambda d: "period=300" in d.execute_script("return location.hash") and d.find_elements(By.CSS_SELECTOR, "#metric-chart polyline"),
                 what="the 5-minute period")
    assert "5 minutes period" in console.main_text()
    console.d.find_element(By.CSS_SELECTOR, 'input[data-change="chart-stat"][value="Minimum"]').click()
    console.wait(lambda d: "stats=Average%2CMaximum" in d.execute_script("return location.hash")
                 and len(d.find_elements(By.CSS_SELECTOR, "#metric-chart polyline")) == 2, what="two statistics")
    # The instance page: CPU Average and Maximum on one chart, NetworkIn and NetworkOut on another.
    instance = server.ec2("us-east-1").describe_instances(Filters=[{"Name": "tag:Name", "Values": ["web-1"]}])["Reservations"][0]["Instances"][0]["InstanceId"]
    console.go(f"#/instances/{instance}")
    console.wait(lambda d: d.find_elements(By.ID, "chart-cpu-panel") and d.find_elements(By.ID, "chart-network-panel"), what="the instance's charts")
    legends = console.d.execute_script("return [...document.querySelectorAll('.chart-panel .legend li')].map(e => e.innerText.split(' AWS/')[0])")
    assert legends == ["CPUUtilization Average", "CPUUtilization Maximum", "NetworkIn Average", "NetworkOut Average"], legends
    assert console.severe() == []


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
    console.choose('select[data-change="page-size"]', "100")
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
              "describe_instances_ms": [round(a, 1) for a in api],
              "page_without_api_median_ms": round(statistics.median([s - a for s, a in zip(warm, api[1:])]), 1),
              "load_average": os.getloadavg()[0],
              "measured": "navigation start to the instances table rendered (performance.now()), full reload, headless Chromium"}
    with open(os.path.join(ARTIFACTS, "page-load.json"), "w") as f:
        json.dump(result, f, indent=2)
    print("console instances page with 200 instances:", json.dumps(result))
    assert max(samples) < 10_000, f"sanity bound: {samples}"
    console.d.execute_script("sessionStorage.removeItem('stratus.console.pageSize')")
    assert console.severe() == []


def test_tag_search_asks_the_api_and_finds_instances_beyond_the_first_page(console, server):
    ec2 = server.ec2("us-east-1")
    ids = [i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]
    assert len(ids) >= 200
    deep = ids[-1]
    ec2.create_tags(Resources=[deep], Tags=[{"Key": "shelf", "Value": "bottom-row"}])
    console.go("#/instances")
    console.choose('select[data-change="page-size"]', "25")
    console.wait(lambda d: len(console.column(3)) == 25, what="a page of 25")
    assert deep not in console.column(3)
    _search(console, "shelf=bottom")
    console.wait(lambda d: console.column(3) == [deep], what="the tagged instance from a later page")
    sent = console.d.execute_script(
        "return window.__stratusCalls.filter(c => c.action === 'DescribeInstances').map(c => c.params).pop()")
    assert sent["Filter.1.Name"] == "tag:shelf" and sent["Filter.1.Value.1"] == "*bottom*", sent
    # The state picker is a filter too; together they narrow (AND).
    console.choose("#state-filter", "stopped")
    console.wait(lambda d: "Nothing matches the search." in console.main_text(), what="no stopped instance with that tag")
    console.choose("#state-filter", "")
    _search(console, "shelf=")
    console.wait(lambda d: console.column(3) == [deep], what="the tag-key search")
    _search(console, "")
    console.wait(lambda d: len(console.column(3)) == 25, what="the whole list again")
    console.d.execute_script("sessionStorage.removeItem('stratus.console.pageSize')")
    assert console.severe() == []


def test_auto_scaling_desired_capacity_and_alarm_delete(console, server, made):
    ec2 = server.ec2("us-east-1")
    autoscaling = _client(server, "autoscaling")
    subnet = ec2.describe_instances(InstanceIds=[made["instance"]])["Reservations"][0]["Instances"][0]["SubnetId"]
    ec2.create_launch_template(LaunchTemplateName="console-lt", LaunchTemplateData={"ImageId": minimal_ami(ec2), "InstanceType": "t3.nano"})
    autoscaling.create_auto_scaling_group(AutoScalingGroupName="console-asg", LaunchTemplate={"LaunchTemplateName": "console-lt"},
                                          MinSize=0, MaxSize=2, DesiredCapacity=0, VPCZoneIdentifier=subnet)
    try:
        console.go("#/auto-scaling")
        selector = 'button[data-action="asg-desired"][data-id="console-asg"]'
        console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, selector), what="the group's row")
        _open_dialog(console, selector, "asg-desired")
        _fill(console, DesiredCapacity="1")
        console.shot("33-dialog-desired-capacity")
        _submit(console)
        group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["console-asg"])["AutoScalingGroups"][0]
        assert group["DesiredCapacity"] == 1
        # Above the maximum: Auto Scaling's own error, in the dialog, which stays open.
        _open_dialog(console, selector, "asg-desired")
        _fill(console, DesiredCapacity="5")
        _submit(console, keep_open=True)
        error = console.wait(lambda d: d.execute_script("return document.getElementById('form-dialog-error').innerText"), what="the error")
        assert error.startswith("Set desired capacity failed: ValidationError: "), error
        console.shot("34-dialog-api-error")
        console.d.find_element(By.ID, "dlg-DesiredCapacity").send_keys(Keys.ESCAPE)  # Escape closes the dialog
        console.wait(lambda d: not d.execute_script("return document.getElementById('form-dialog').open"), what="Escape to close the dialog")
        assert console.severe(lambda e: e.get("source") == "network" and " 400 " in e["message"]) == []
    finally:
        autoscaling.delete_auto_scaling_group(AutoScalingGroupName="console-asg", ForceDelete=True)
    console.go("#/cloudwatch")
    selector = 'button[data-action="alarm-delete"][data-id="console-high-requests"]'
    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, selector), what="the alarm")
    console.click(selector)
    _confirm(console)
    console.wait(lambda d: "Deleted alarm console-high-requests" in console.main_text(), what="the alarm deleted")
    assert _client(server, "cloudwatch").describe_alarms(AlarmNames=["console-high-requests"])["MetricAlarms"] == []
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
