#!/bin/sh
# Installs the Stratus CloudWatch agent into a guest root filesystem, where AWS's package puts
# amazon-cloudwatch-agent: /opt/aws/amazon-cloudwatch-agent/{bin,etc,lib,logs}. Needs sh, awk,
# curl with --aws-sigv4 (7.75+) and setsid in the guest.
# Usage: install.sh ROOTFS_DIR
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
root="${1:?usage: install.sh ROOTFS_DIR}"
a="$root/opt/aws/amazon-cloudwatch-agent"
mkdir -p "$a/bin" "$a/etc/amazon-cloudwatch-agent.d" "$a/lib" "$a/logs" "$a/var" "$root/usr/bin"
install -m 0755 "$here/amazon-cloudwatch-agent" "$here/amazon-cloudwatch-agent-ctl" "$a/bin/"
install -m 0644 "$here/json.awk" "$here/collect.awk" "$here/logs.awk" "$a/lib/"
ln -sf /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl "$root/usr/bin/amazon-cloudwatch-agent-ctl"
if [ -d "$root/etc/systemd/system" ]; then
  install -m 0644 "$here/amazon-cloudwatch-agent.service" "$root/etc/systemd/system/amazon-cloudwatch-agent.service"
fi
