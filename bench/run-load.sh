#!/usr/bin/env bash
# API load benchmark: builds Release, starts `stratus serve` on a free loopback port with a fresh
# data directory, drives it with the signed load generator, prints JSON, stops the server.
# Usage: bench/run-load.sh [concurrency] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
concurrency=${1:-8}
seconds=${2:-10}
dotnet build src/Stratus.Cli -c Release -nologo -v quiet -clp:ErrorsOnly
dotnet build bench/Stratus.Benchmarks -c Release -nologo -v quiet -clp:ErrorsOnly
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
src/Stratus.Cli/bin/Release/net10.0/stratus serve --urls "http://127.0.0.1:$port" --data-dir "$work/data" --no-profile >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/_stratus/health" >/dev/null && break; sleep 0.1; done
creds=$(src/Stratus.Cli/bin/Release/net10.0/stratus account create --data-dir "$work/data" --name load)
key=$(echo "$creds" | python3 -c 'import json,sys; print(json.load(sys.stdin)["AccessKeyId"])')
secret=$(echo "$creds" | python3 -c 'import json,sys; print(json.load(sys.stdin)["SecretAccessKey"])')
run() {
  dotnet bench/Stratus.Benchmarks/bin/Release/net10.0/Stratus.Benchmarks.dll load --endpoint "http://127.0.0.1:$port/" \
    --access-key "$key" --secret-key "$secret" --concurrency "$concurrency" --seconds "$seconds" --body "$1"
}
run "Action=DescribeVpcs&Version=2016-11-15"
run "Action=DescribeSubnets&Version=2016-11-15&Filter.1.Name=availability-zone&Filter.1.Value.1=us-east-1*"
vpc=$(run "Action=DescribeVpcs&Version=2016-11-15" >/dev/null; python3 - "$port" "$key" "$secret" <<'PY'
import sys, boto3
port, key, secret = sys.argv[1:]
ec2 = boto3.client("ec2", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret)
print(ec2.describe_vpcs()["Vpcs"][0]["VpcId"])
PY
)
run "Action=CreateTags&Version=2016-11-15&ResourceId.1=$vpc&Tag.1.Key=bench&Tag.1.Value=load"
