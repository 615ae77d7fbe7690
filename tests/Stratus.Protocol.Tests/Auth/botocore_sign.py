"""Signs a set of requests with botocore's own SigV4 signers and prints them as JSON.

Used by BotocoreSigningTests: each case is signed exactly as botocore signs for a real client (SigV4Auth for
the Authorization header, SigV4QueryAuth for presigned URLs) and printed as the request that would go on the
wire, so the C# verifier checks what a real botocore client sends.

Output: {"botocore": "<version>", "cases": {"<name>": {"method", "url", "headers": [[name, value], ...],
"body", "timestamp"}}}
"""

import json
import sys
from urllib.parse import urlsplit

import botocore
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS_KEY = "AKIDSTRATUSBOTO"
SECRET_KEY = "boto/Secret+Key/EXAMPLE0123456789abcdef"
SESSION_TOKEN = "FQoGZXIvYXdzEXAMPLE//token+with/slashes=="
REGION = "us-east-1"
ENDPOINT = "http://127.0.0.1:8080"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


def wire(request, timestamp):
    """The request as an HTTP client sends it: prepared URL, headers plus Host, body."""
    prepared = request.prepare()
    headers = [[name, value] for name, value in prepared.headers.items()]
    if not any(name.lower() == "host" for name, _ in headers):
        headers.append(["Host", urlsplit(prepared.url).netloc])
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return {
        "method": prepared.method,
        "url": prepared.url,
        "headers": headers,
        "body": body.decode("utf-8"),
        "timestamp": timestamp,
    }


def header_signed(data, headers=None, token=None, url=ENDPOINT + "/", method="POST", service="ec2", params=None):
    credentials = Credentials(ACCESS_KEY, SECRET_KEY, token)
    request = AWSRequest(method=method, url=url, data=data, headers=headers or {}, params=params or {})
    SigV4Auth(credentials, service, REGION).add_auth(request)
    return wire(request, request.context["timestamp"])


def presigned(params, expires, token=None):
    credentials = Credentials(ACCESS_KEY, SECRET_KEY, token)
    request = AWSRequest(method="GET", url=ENDPOINT + "/", params=params)
    SigV4QueryAuth(credentials, "ec2", REGION, expires=expires).add_auth(request)
    return wire(request, request.context["timestamp"])


def main():
    form = "Action=DescribeRegions&Version=2016-11-15"
    cases = {
        # What the AWS CLI / boto3 send for `aws ec2 describe-regions`.
        "ec2-post": header_signed(form, {"Content-Type": FORM}),
        # Temporary credentials: X-Amz-Security-Token is added and signed.
        "ec2-post-session-token": header_signed(form, {"Content-Type": FORM}, token=SESSION_TOKEN),
        # A Date header instead of X-Amz-Date (botocore then signs with Date).
        "ec2-post-date-header": header_signed(form, {"Content-Type": FORM, "Date": "placeholder"}),
        # Query parameters that need escaping, signed in the Authorization header.
        "ec2-get-query": header_signed(
            None,
            method="GET",
            params={
                "Action": "DescribeInstances",
                "Version": "2016-11-15",
                "Filter.1.Name": "tag:Name",
                "Filter.1.Value.1": "web server+1 (*) ~/caf\u00e9",
            },
        ),
        # A non-EC2 style path: dot segments and escapes, normalised and double-encoded by the signer.
        "path-normalised": header_signed(
            None, method="GET", url=ENDPOINT + "/a%20b/./c/../d%2Fe/", service="service"
        ),
        # Presigned GET, as botocore's SigV4QueryAuth produces it.
        "presigned-get": presigned(
            {"Action": "DescribeRegions", "Version": "2016-11-15", "RegionName.1": "us east+1*~"}, 300
        ),
        "presigned-get-session-token": presigned(
            {"Action": "DescribeRegions", "Version": "2016-11-15"}, 60, token=SESSION_TOKEN
        ),
    }
    json.dump({"botocore": botocore.__version__, "cases": cases}, sys.stdout)


if __name__ == "__main__":
    main()
