#!/bin/bash
# Copies the ext4 filesystem of a raw disk image into a directory (for imported images):
# mounts it read-only through a loop device when possible, else uses debugfs rdump.
# Usage: disk-to-rootfs.sh DISK ROOTFS_DIR
set -euo pipefail
disk="${1:?usage: disk-to-rootfs.sh DISK ROOTFS_DIR}"
rootfs="${2:?usage: disk-to-rootfs.sh DISK ROOTFS_DIR}"
mkdir -p "$rootfs"
mnt="$(mktemp -d /tmp/stratus-import.XXXXXX)"
cleanup() { umount "$mnt" 2>/dev/null || true; rmdir "$mnt" 2>/dev/null || true; }
trap cleanup EXIT
if mount -o loop,ro,noload "$disk" "$mnt" 2>/dev/null; then
  cp -a "$mnt/." "$rootfs/"
else
  echo "import: loop mount unavailable; copying with debugfs" >&2
  debugfs -R "rdump / $rootfs" "$disk" >/dev/null 2>&1
  # rdump leaves a directory named after the source ("/" → the tree itself) in rootfs
fi
echo "import: $(du -sh "$rootfs" | cut -f1) copied" >&2
