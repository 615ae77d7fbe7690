#!/usr/bin/env bash
# First start, measured: runs the README's command 1 (scripts/start.sh) as a new user would —
# a fresh HOME (no ~/.aws), a fresh data directory and a fresh cache (no guest image, no guest
# kernel) — with the container runtime, then the walkthrough's instance part: open SSH, create a
# key pair, run-instances from the minimal AMI, wait instance-running, ssh in and ask the
# metadata service (IMDSv2) for the zone. Prints one line per phase and the total:
#   phase <name> <seconds>
# Needs root (containers), crun, the aws CLI and ssh.
# Usage: bench/first-start.sh [--no-build] [--keep]
#   --no-build: use the binary this checkout already built (start.sh's STRATUS_SKIP_BUILD=1): the
#   build phase then measures nothing; the suite's test uses it, the build having just run.
# Environment: AWS_CLI (default: aws on PATH), FIRST_START_ROOT (default: a new temp dir),
#   FIRST_START_PORT (default 4599).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
keep=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    --no-build) export STRATUS_SKIP_BUILD=1 ;;
    *) echo "usage: bench/first-start.sh [--no-build] [--keep]" >&2; exit 2 ;;
  esac
done
root=${FIRST_START_ROOT:-$(mktemp -d /tmp/stratus-first-start.XXXXXX)}
port=${FIRST_START_PORT:-4599}
aws_bin=${AWS_CLI:-aws}
mkdir -p "$root/home" "$root/cache"
# The NuGet package cache is not part of a first start: keep using the real one.
export NUGET_PACKAGES="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
export HOME="$root/home" XDG_CACHE_HOME="$root/cache" XDG_DATA_HOME="$root/data"
unset STRATUS_IMAGE_DIR AWS_PROFILE AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_DEFAULT_REGION AWS_REGION
export AWS_EC2_METADATA_DISABLED=true
server_pid=""
instance=""
cleanup() {
  if [ -n "$instance" ] && [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    "$aws_bin" --profile stratus --endpoint-url "http://127.0.0.1:$port" ec2 terminate-instances --instance-ids "$instance" >/dev/null 2>&1 || true
    "$aws_bin" --profile stratus --endpoint-url "http://127.0.0.1:$port" ec2 wait instance-terminated --instance-ids "$instance" >/dev/null 2>&1 || true
  fi
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if [ "$keep" = 0 ]; then rm -rf --one-file-system "$root"; else echo "kept $root" >&2; fi
}
trap cleanup EXIT

now() { date +%s.%N; }
t0=$(now); last=$t0
phase() {
  local t; t=$(now)
  awk -v n="$1" -v a="$last" -v b="$t" 'BEGIN { printf "phase %s %.1f\n", n, b - a }'
  last=$t
}

# Command 1, in the background; its log shows start.sh's own steps.
setsid "$repo/scripts/start.sh" --urls "http://127.0.0.1:$port" --runtime container >"$root/start.log" 2>&1 &
server_pid=$!
# start.sh's steps as phases, then the API's readiness.
seen=""
until curl -sf "http://127.0.0.1:$port/_stratus/health" >/dev/null 2>&1; do
  kill -0 "$server_pid" 2>/dev/null || { echo "start.sh exited:" >&2; tail -30 "$root/start.log" >&2; exit 1; }
  for step in "dependencies checked:dependencies" "stratus built:build" "minimal guest image ready:image"; do
    text=${step%%:*}; name=${step##*:}
    if [[ "$seen" != *"[$name]"* ]] && grep -q "start.sh: $text" "$root/start.log"; then phase "$name"; seen="$seen[$name]"; fi
  done
  if [ "$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print (b - a > 900) }')" = 1 ]; then echo "no health after 900 s" >&2; tail -30 "$root/start.log" >&2; exit 1; fi
  sleep 0.2
done
phase server-ready
grep -q "instance runtime: container" "$root/start.log" || { echo "the server did not choose the container runtime:" >&2; grep -i runtime "$root/start.log" >&2; exit 1; }
[ ! -e "$XDG_CACHE_HOME/stratus/kernel" ] || [ -z "$(ls "$XDG_CACHE_HOME/stratus/kernel" | grep -v '^\.' || true)" ] || { echo "a guest kernel was built" >&2; exit 1; }

# The walkthrough's instance part, as the README writes it (the profile carries the endpoint).
aws() { "$aws_bin" --profile stratus "$@"; }
if ! "$aws_bin" --version 2>&1 | grep -Eq 'aws-cli/(1\.(29|[3-9][0-9])|2\.(1[3-9]|[2-9][0-9]))'; then
  aws() { "$aws_bin" --profile stratus --endpoint-url "http://127.0.0.1:$port" "$@"; }  # clients before 2.13 / 1.29 ignore endpoint_url
fi
cd "$root"
aws ec2 authorize-security-group-ingress --group-name default --protocol tcp --port 22 --cidr 0.0.0.0/0 >/dev/null
aws ec2 create-key-pair --key-name MyKeyPair --query KeyMaterial --output text > MyKeyPair.pem
chmod 400 MyKeyPair.pem
AMI=$(aws ec2 describe-images --owners amazon \
      --filters 'Name=name,Values=stratus-minimal-*-x86_64' --query 'Images[0].ImageId' --output text)
instance=$(aws ec2 run-instances --image-id "$AMI" --instance-type t3.micro --key-name MyKeyPair \
      --tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=web-1}]' \
      --query 'Instances[0].InstanceId' --output text)
phase run-instances
aws ec2 wait instance-running --instance-ids "$instance"
IP=$(aws ec2 describe-instances --instance-ids "$instance" \
    --query 'Reservations[0].Instances[0].PublicIpAddress' --output text)
phase instance-running
zone=""
for _ in $(seq 1 60); do
  zone=$(ssh -i MyKeyPair.pem -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR \
    ec2-user@"$IP" 'TOKEN=$(curl -s -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 60" http://169.254.169.254/latest/api/token);
  curl -s -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/placement/availability-zone' 2>/dev/null) && [ -n "$zone" ] && break
  sleep 0.5
done
[ -n "$zone" ] || { echo "ssh to $IP never answered" >&2; exit 1; }
phase ssh-imds
awk -v a="$t0" -v b="$(now)" -v z="$zone" 'BEGIN { printf "total %.1f (instance in %s)\n", b - a, z }'
