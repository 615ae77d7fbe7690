#!/bin/bash
# Builds the Stratus debian-12 guest root filesystem: debootstrap bookworm (minbase) with
# systemd, udev, cloud-init (EC2 datasource only), OpenSSH, ifupdown + DHCP on eth0, curl.
# Usage: build.sh ROOTFS_DIR   (ROOTFS_DIR is recreated)
# Environment: STRATUS_DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="${1:?usage: build.sh ROOTFS_DIR}"
mirror="${STRATUS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/stratus/debootstrap"
command -v debootstrap >/dev/null || { echo "debian-12: missing debootstrap (apt-get install debootstrap)" >&2; exit 1; }
mkdir -p "$cache"

rm -rf "$root"
mkdir -p "$root"
packages=systemd,systemd-sysv,udev,dbus,cloud-init,openssh-server,curl,ca-certificates,ifupdown,isc-dhcp-client
packages=$packages,python3-cffi-backend,sudo,iproute2,iputils-ping,netbase,procps,less,e2fsprogs,python3-requests,locales,nano
echo "debian-12: debootstrap bookworm from $mirror" >&2
debootstrap --variant=minbase --include="$packages" --cache-dir="$cache" bookworm "$root" "$mirror" 2>&1 |
  while IFS= read -r line; do
    case "$line" in I:\ Retrieving*|I:\ Validating*|I:\ Unpacking\ *|I:\ Configuring\ *) n=$((${n:-0}+1)); [ $((n % 40)) = 0 ] && echo "debian-12: $line" >&2 ;;
      *) echo "debian-12: $line" >&2 ;; esac
  done
[ -x "$root/lib/systemd/systemd" ] || { echo "debian-12: debootstrap failed" >&2; exit 1; }

echo "debian-12: configuring" >&2
cat > "$root/etc/apt/sources.list" <<EOS
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOS
echo localhost > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
: > "$root/etc/fstab"
ln -sf /usr/share/zoneinfo/UTC "$root/etc/localtime"
echo "en_US.UTF-8 UTF-8" > "$root/etc/locale.gen"
chroot "$root" locale-gen >/dev/null 2>&1 || true
echo 'LANG=C.UTF-8' > "$root/etc/default/locale"

# Network: DHCP on eth0 (the kernel command line has net.ifnames=0). allow-hotplug means udev
# brings it up in a microVM; in a container (no udev) eth0 keeps the address the runtime gave it.
cat > "$root/etc/network/interfaces" <<'EOS'
source /etc/network/interfaces.d/*

auto lo
iface lo inet loopback

allow-hotplug eth0
iface eth0 inet dhcp
EOS

# cloud-init: EC2 datasource only, on a platform that is neither Xen nor Nitro.
install -m 0644 "$here/99-stratus.cfg" "$root/etc/cloud/cloud.cfg.d/99-stratus.cfg"
echo "policy: search,found=all,maybe=all,notfound=enabled" > "$root/etc/cloud/ds-identify.cfg"

# Console markers the runtimes watch (same lines as the minimal image's init).
install -m 0755 "$here/stratus-marker" "$root/usr/local/sbin/stratus-marker"
for unit in "$here"/*.service; do install -m 0644 "$unit" "$root/etc/systemd/system/"; done
for unit in "$here"/*.service; do
  name="$(basename "$unit")"
  target="$(sed -n 's/^WantedBy=//p' "$unit")"
  mkdir -p "$root/etc/systemd/system/$target.wants"
  ln -sf "/etc/systemd/system/$name" "$root/etc/systemd/system/$target.wants/$name"
done

# The CloudWatch agent (guest/agent/cloudwatch): amazon-cloudwatch-agent-ctl as on Amazon Linux.
sh "$here/../../agent/cloudwatch/install.sh" "$root"

# SSH host keys are made per instance (cloud-init's ssh module / ssh.service keygen), not baked in.
rm -f "$root"/etc/ssh/ssh_host_*
mkdir -p "$root/etc/systemd/system/ssh.service.d"
cat > "$root/etc/systemd/system/ssh.service.d/stratus-keys.conf" <<'EOS'
[Service]
ExecStartPre=/usr/bin/ssh-keygen -A
EOS
# No passwords: root locked; the admin user gets the instance's key pair from cloud-init.
chroot "$root" passwd -l root >/dev/null 2>&1 || true
# Quieter, faster boot.
chroot "$root" systemctl mask systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service >/dev/null 2>&1 || true
rm -f "$root/etc/machine-id" "$root/var/lib/dbus/machine-id"
: > "$root/etc/machine-id"
chroot "$root" apt-get clean >/dev/null 2>&1 || true
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log
echo "debian-12: rootfs ready ($(du -sh "$root" | cut -f1))" >&2
