#!/bin/sh
# Builds the microVM test guest image into $1: Debian's stock cloud kernel (uncompressed vmlinux,
# PVH-bootable), an initramfs that loads the virtio-mmio/virtio-blk/virtio-net/button/evdev modules
# the stock kernel has as modules and switches to /dev/vda, and an ext4 root disk holding a
# busybox-static tree whose /sbin/init follows the Stratus guest contract:
#   DHCP on eth0, instance store /dev/vdb at /media/ephemeral0, "stratus-init: userspace reached"
#   on the console (not with "stratus-test.silent" on the kernel command line), power-off on the
#   ACPI power button.
# For the tests it also counts boots on the root disk and serves its state with busybox httpd:
#   /boot-count (increments every boot), /ephemeral ("fresh" or "kept": instance-store marker).
set -eu
out=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# Kernel: Debian's cloud kernel package (through apt), payload decompressed to an ELF vmlinux.
cd "$work"
pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/{print $2; exit}')
apt-get download "$pkg" >/dev/null 2>&1
dpkg-deb -x ./*.deb k
python3 - k/boot/vmlinuz-* payload <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
setup = ((d[0x1f1] or 4) + 1) * 512
offset, length = struct.unpack_from('<II', d, 0x248)
open(sys.argv[2], 'wb').write(d[setup + offset:setup + offset + length])
PY
case $(od -An -tx1 -N4 payload | tr -d ' ') in
  02214c18) lz4 -dc payload > vmlinux 2>/dev/null || true ;;
  28b52ffd) zstd -dc payload > vmlinux 2>/dev/null || true ;;
  1f8b08*) gzip -dc payload > vmlinux 2>/dev/null || true ;;
  fd377a58) xz -dc payload > vmlinux 2>/dev/null || true ;;
esac
# (the payload ends with the decompressed size, which the tools call trailing garbage)
[ "$(od -An -tx1 -N4 vmlinux | tr -d ' ')" = 7f454c46 ] || { echo "cannot decompress the kernel" >&2; exit 1; }
mods=$(echo k/lib/modules/*)

# Initramfs.
mkdir -p ir/bin ir/lib/modules ir/proc ir/sys ir/dev ir/newroot
cp /bin/busybox ir/bin/busybox
for m in virtio_ring virtio virtio_mmio virtio_blk failover net_failover virtio_net button evdev; do
  cp "$(find "$mods" -name "$m.ko")" ir/lib/modules/
done
cat > ir/init <<'SH'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_mmio virtio_blk failover net_failover virtio_net button evdev; do
  insmod /lib/modules/$m.ko 2>/dev/null
done
root=/dev/vda
for a in $(cat /proc/cmdline); do case $a in root=*) root=${a#root=} ;; esac; done
i=0; while [ ! -b "$root" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
mount -o rw "$root" /newroot || { echo "initramfs: cannot mount $root"; sleep 5; poweroff -f; }
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
SH
chmod +x ir/init
(cd ir && find . | cpio -o -H newc --quiet | gzip -1) > initrd.img

# Root filesystem.
mkdir -p r/bin r/sbin r/etc r/proc r/sys r/dev r/run r/tmp r/var/lib r/www r/media/ephemeral0 r/root
cp /bin/busybox r/bin/busybox
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "r/bin/$a"; done
cat > r/etc/udhcpc.script <<'SH'
#!/bin/sh
case $1 in
  bound|renew)
    ip addr flush dev $interface
    ip addr add $ip/${mask:-24} dev $interface
    for r in $router; do ip route add default via $r dev $interface; break; done ;;
esac
SH
chmod +x r/etc/udhcpc.script
cat > r/sbin/init <<'SH'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
n=$(cat /var/lib/boot-count 2>/dev/null || echo 0); n=$((n+1)); echo $n > /var/lib/boot-count
echo $n > /www/boot-count
if [ -b /dev/vdb ] && mount /dev/vdb /media/ephemeral0; then
  if [ -e /media/ephemeral0/marker ]; then echo kept > /www/ephemeral; else echo fresh > /www/ephemeral; date > /media/ephemeral0/marker; fi
else
  echo none > /www/ephemeral
fi
sync
echo "stratus-test: boot $n, instance store $(cat /www/ephemeral)"
hostname stratus-test
ip link set lo up; ip link set eth0 up
udhcpc -i eth0 -q -t 20 -T 1 -s /etc/udhcpc.script 2>&1 | tail -2
ip -4 addr show dev eth0 | grep inet
httpd -p 80 -h /www
# ACPI power button (QMP system_powerdown) → orderly power-off.
for e in /dev/input/event*; do (dd if=$e of=/dev/null bs=24 count=1 2>/dev/null; echo "stratus-test: power button"; kill -USR2 1) & done
trap 'sync; umount /media/ephemeral0 2>/dev/null; mount -o remount,ro / ; echo "stratus-test: powering off"; poweroff -f' USR2
# "stratus-test.silent" on the kernel command line: a guest that never reports in.
case " $(cat /proc/cmdline) " in
  *" stratus-test.silent "*) echo "stratus-test: staying silent" ;;
  *) echo "stratus-init: userspace reached" ;;
esac
while :; do sleep 1; done
SH
chmod +x r/sbin/init
truncate -s 64M disk.raw
mkfs.ext4 -q -F -L stratus-test -d r disk.raw

mv vmlinux initrd.img disk.raw "$out/"
cat > "$out/manifest.json" <<JSON
{
  "name": "$(basename "$out")",
  "description": "microVM test guest: Debian cloud kernel $pkg, busybox",
  "kernel": "vmlinux",
  "initrd": "initrd.img",
  "disk": "disk.raw",
  "kernelArguments": "quiet",
  "rootGiB": 1
}
JSON
echo "built $out"
