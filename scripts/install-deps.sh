#!/usr/bin/env bash
# Installs what building, running and testing Stratus needs, from Debian's packages and the npm
# registry only. Idempotent: checks before installing. Run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."
# Prefer the python that ships boto3 and the aws CLI on these machines (pyenv), when present.
if [ -d "${HOME:-/root}/.pyenv/shims" ]; then export PATH="${HOME:-/root}/.pyenv/shims:$PATH"; fi

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! have dotnet; then
  echo "error: the .NET 10 SDK (dotnet) is required and is not on PATH" >&2
  exit 1
fi
runtime_only=0
[ "${1:-}" = "--runtime-only" ] && runtime_only=1
if [ "$runtime_only" -eq 0 ]; then
have python3 || need_apt+=(python3)
python3 -c 'import boto3' 2>/dev/null || need_apt+=(python3-boto3)
have aws || need_apt+=(awscli)
# The aws CLI v2 beside pyenv's v1: the e2e suite drives both.
[ -x /usr/bin/aws ] || need_apt+=(awscli)
python3 -c 'import pytest' 2>/dev/null || [ -d /usr/lib/python3/dist-packages/pytest ] || need_apt+=(python3-pytest)
# pytest-xdist runs the e2e modules in parallel workers (scripts/test.sh, STRATUS_E2E_WORKERS).
python3 -c 'import xdist' 2>/dev/null || [ -d /usr/lib/python3/dist-packages/xdist ] || need_apt+=(python3-pytest-xdist)
python3 -c 'import execnet' 2>/dev/null || [ -d /usr/lib/python3/dist-packages/execnet ] || need_apt+=(python3-execnet)
have node || need_apt+=(nodejs)
have npm || need_apt+=(npm)
# Key pair tests check the key material with OpenSSH, OpenSSL and PuTTYgen.
have ssh-keygen || need_apt+=(openssh-client)
have openssl || need_apt+=(openssl)
have puttygen || need_apt+=(putty-tools)
# The web console's browser tests (tests/e2e/test_console.py): headless Chromium, its WebDriver, selenium.
have chromium || need_apt+=(chromium)
have chromedriver || need_apt+=(chromium-driver)
python3 -c 'import selenium' 2>/dev/null || [ -d /usr/lib/python3/dist-packages/selenium ] || need_apt+=(python3-selenium)
# The Ansible e2e test (tests/e2e/test_ansible.py): Debian's ansible ships the amazon.aws collection;
# its modules run under Debian's python3 with Debian's boto3.
have ansible-playbook || need_apt+=(ansible)
[ -d /usr/lib/python3/dist-packages/ansible_collections/amazon/aws ] || need_apt+=(ansible)
/usr/bin/python3 -c 'import boto3' 2>/dev/null || need_apt+=(python3-boto3)
fi
# VPC networking for real guests (src/Stratus.Runtime/Network): iproute2, nftables, dnsmasq; busybox for its tests.
have ip || need_apt+=(iproute2)
have nft || need_apt+=(nftables)
have dnsmasq || need_apt+=(dnsmasq-base)
have busybox || need_apt+=(busybox-static)
# Transit gateway Connect peers' BGP (src/Stratus.Runtime/Network/BirdControl.cs): BIRD 2, one per gateway.
{ have bird || [ -x /usr/sbin/bird ]; } || need_apt+=(bird2)
# The container runtime: crun (OCI runtime), util-linux's unshare/setsid.
have crun || need_apt+=(crun)
have unshare || need_apt+=(util-linux)

# Guest kernel and images (stratus images build): QEMU, the kernel source and its build tools,
# busybox/dropbear/curl for the minimal image, debootstrap for debian-12.
guest_packages=(qemu-system-x86 qemu-utils busybox-static dropbear-bin curl ca-certificates linux-source-6.1 bc flex bison
  build-essential libelf-dev libssl-dev cpio e2fsprogs xz-utils debootstrap fdisk socat openssh-client)
for p in "${guest_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
done

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing from Debian: ${need_apt[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# (again when package-lock.json is newer than the installed tree, e.g. after new clients were added)
if [ "$runtime_only" -eq 0 ] && [ -f tests/roundtrip/js/package-lock.json ] \
  && { [ ! -f tests/roundtrip/js/node_modules/.package-lock.json ] || [ tests/roundtrip/js/package-lock.json -nt tests/roundtrip/js/node_modules/.package-lock.json ]; }; then
  echo "installing the AWS SDK for JavaScript (npm ci)"
  npm ci --prefix tests/roundtrip/js --no-audit --no-fund --loglevel=error
fi
