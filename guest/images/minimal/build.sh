#!/bin/bash
# Builds the Stratus minimal guest root filesystem from host binaries:
# busybox-static, dropbear, curl (+ the shared libraries ldd finds), CA certificates and
# the Stratus init (guest/images/minimal/init).
# Usage: build.sh ROOTFS_DIR   (ROOTFS_DIR is recreated)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="${1:?usage: build.sh ROOTFS_DIR}"

need() { command -v "$1" >/dev/null 2>&1 || { echo "minimal: missing $1 ($2)" >&2; exit 1; }; }
need busybox "apt-get install busybox-static"
need dropbear "apt-get install dropbear-bin"
need dropbearkey "apt-get install dropbear-bin"
need curl "apt-get install curl"
busybox_bin="$(command -v busybox)"
if ldd "$busybox_bin" >/dev/null 2>&1; then
  echo "minimal: $busybox_bin is dynamically linked; install busybox-static" >&2; exit 1
fi

rm -rf "$root"
mkdir -p "$root"
cd "$root"
mkdir -p bin sbin usr/bin usr/sbin lib lib64 etc root home dev proc sys run tmp var/log var/lib/stratus-init \
  var/tmp media mnt etc/dropbear etc/acpi/PWRF usr/share/udhcpc etc/ssl/certs
chmod 700 root
chmod 1777 tmp var/tmp
ln -s ../run var/run

# busybox + applet links at their usual places
install -m 0755 "$busybox_bin" bin/busybox
"$busybox_bin" --list-full | while read -r applet; do
  case "$applet" in bin/busybox|sbin/init|linuxrc) continue ;; esac
  mkdir -p "$(dirname "$applet")"
  [ -e "$applet" ] || ln -s /bin/busybox "$applet"
done

# dynamically linked programs and their libraries (same paths as on the host)
copy_with_libs() { # src dst
  install -D -m 0755 "$1" "$root/$2"
  ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | while read -r lib; do
    local real; real="$(readlink -f "$lib")"
    local dest="$lib"
    case "$dest" in /usr/lib/*) dest="${dest#/usr}" ;; /usr/lib64/*) dest="${dest#/usr}" ;; esac
    [ -e "$root$dest" ] || install -D -m 0755 "$real" "$root$dest"
  done
}
copy_with_libs "$(command -v dropbear)" usr/sbin/dropbear
copy_with_libs "$(command -v dropbearkey)" usr/bin/dropbearkey
command -v dbclient >/dev/null && copy_with_libs "$(command -v dbclient)" usr/bin/dbclient
command -v dropbearconvert >/dev/null && copy_with_libs "$(command -v dropbearconvert)" usr/bin/dropbearconvert
ln -sf dbclient usr/bin/ssh
ln -sf dbclient usr/bin/scp 2>/dev/null || true
rm -f usr/bin/scp
copy_with_libs "$(command -v curl)" usr/bin/curl
[ -f /etc/ssl/certs/ca-certificates.crt ] && install -m 0644 /etc/ssl/certs/ca-certificates.crt etc/ssl/certs/

# init and helpers
install -m 0755 "$here/init" sbin/init
install -m 0755 "$here/udhcpc.script" usr/share/udhcpc/default.script
install -m 0755 "$here/stratus-nic" usr/sbin/stratus-nic
# the CloudWatch agent (guest/agent/cloudwatch): amazon-cloudwatch-agent-ctl as on Amazon Linux
sh "$here/../../agent/cloudwatch/install.sh" "$root"
cat > etc/acpi/PWRF/00000080 <<'EOS'
#!/bin/sh
# ACPI power button (QMP system_powerdown): ask PID 1 to shut down.
kill -USR2 1
EOS
chmod 0755 etc/acpi/PWRF/00000080
echo "PWRF PWRF/00000080" > etc/acpid.conf

# users: passwords locked with '*' (dropbear refuses '!'-locked accounts even for key logins)
cat > etc/passwd <<'EOS'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
ec2-user:x:1000:1000:EC2 Default User:/home/ec2-user:/bin/sh
EOS
cat > etc/group <<'EOS'
root:x:0:
daemon:x:1:
tty:x:5:
wheel:x:10:ec2-user
nogroup:x:65534:
ec2-user:x:1000:
EOS
cat > etc/shadow <<'EOS'
root:*:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
ec2-user:*:19000:0:99999:7:::
EOS
chmod 0640 etc/shadow
printf '/bin/sh\n/bin/ash\n' > etc/shells
echo localhost > etc/hostname
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > etc/hosts
: > etc/resolv.conf
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' > etc/nsswitch.conf
cat > etc/profile <<'EOS'
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PS1='[\u@\h \W]\$ '
EOS
cat > etc/os-release <<'EOS'
NAME="Stratus minimal"
ID=stratus-minimal
PRETTY_NAME="Stratus minimal Linux (busybox)"
HOME_URL="https://github.com/stratus"
EOS
printf 'Stratus minimal Linux: busybox, curl, dropbear. See /var/log/user-data.log for user-data output.\n' > etc/motd
mkdir -p home/ec2-user/.ssh
chmod 700 home/ec2-user/.ssh
chown -R 1000:1000 home/ec2-user
chmod 750 home/ec2-user
