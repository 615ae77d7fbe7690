#!/bin/bash
# Makes an ext4 disk image (no partition table) holding a root filesystem tree, without mounting.
# Usage: mkdisk.sh ROOTFS_DIR DISK [MIN_MIB]
# Size: twice the tree's size, at least MIN_MIB (default 64), rounded up to a whole GiB when
# above 1 GiB; the file is sparse. Prints the size in MiB on stdout.
set -euo pipefail
rootfs="${1:?usage: mkdisk.sh ROOTFS_DIR DISK [MIN_MIB]}"
disk="${2:?usage: mkdisk.sh ROOTFS_DIR DISK [MIN_MIB]}"
min="${3:-64}"
used_kib=$(du -sk --apparent-size "$rootfs" | cut -f1)
files=$(find "$rootfs" -xdev | wc -l)
size=$(( (used_kib * 2 / 1024) + 16 ))
[ "$size" -lt "$min" ] && size=$min
[ "$size" -gt 1024 ] && size=$(( (size + 1023) / 1024 * 1024 ))
inodes=$(( files * 2 + 8192 ))
rm -f "$disk"
truncate -s "${size}M" "$disk"
mkfs.ext4 -q -F -L root -N "$inodes" -E lazy_itable_init=1,lazy_journal_init=1 -d "$rootfs" "$disk" >&2
echo "disk: $(basename "$disk") ${size} MiB ext4, $((used_kib / 1024)) MiB used, $files files" >&2
echo "$size"
