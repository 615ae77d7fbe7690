#!/bin/bash
# Builds the Stratus guest kernel (uncompressed, PVH-bootable vmlinux) from Debian's
# linux-source-6.1 with guest/kernel/stratus.config applied on top of tinyconfig.
#
# Usage: guest/kernel/build.sh [--force] [--print-path]
#   Prints the path of the cached vmlinux on its last line of stdout.
# Cache: ${XDG_CACHE_HOME:-~/.cache}/stratus/kernel/<hash>/vmlinux, where <hash> covers the
# config fragment, this script and the source package version.
# Environment: STRATUS_KERNEL_SOURCE (default /usr/src/linux-source-6.1.tar.xz),
#   STRATUS_KERNEL_JOBS (default nproc).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
force=0
print_only=0
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    --print-path) print_only=1 ;;
    *) echo "build.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

src_tar="${STRATUS_KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}"
if [ ! -f "$src_tar" ]; then
  echo "build.sh: kernel source $src_tar not found (apt-get install linux-source-6.1)" >&2
  exit 1
fi
src_version="$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || stat -c '%s-%Y' "$src_tar")"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/stratus/kernel"
hash="$( (cat "$here/stratus.config"; echo "source=$src_version"; echo "build-rev=1") | sha256sum | cut -c1-16)"
out="$cache_root/$hash"

if [ "$print_only" = 1 ]; then
  echo "$out/vmlinux"
  exit 0
fi
if [ "$force" = 0 ] && [ -s "$out/vmlinux" ]; then
  echo "kernel: cached $out/vmlinux" >&2
  echo "$out/vmlinux"
  exit 0
fi

mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
flock 9
if [ "$force" = 0 ] && [ -s "$out/vmlinux" ]; then
  echo "$out/vmlinux"
  exit 0
fi

work="$cache_root/src-$src_version"
if [ ! -f "$work/.extracted" ]; then
  echo "kernel: extracting $src_tar" >&2
  rm -rf "$work"; mkdir -p "$work"
  tar -C "$work" --strip-components=1 -xf "$src_tar"
  touch "$work/.extracted"
fi

jobs="${STRATUS_KERNEL_JOBS:-$(nproc)}"
cd "$work"
echo "kernel: configuring (tinyconfig + stratus.config)" >&2
make -s ARCH=x86_64 tinyconfig >&2
KCONFIG_CONFIG=.config ./scripts/kconfig/merge_config.sh -m .config "$here/stratus.config" >/dev/null
make -s ARCH=x86_64 olddefconfig >&2

# Report fragment options that did not survive (unmet dependencies).
missing=0
while IFS= read -r line; do
  case "$line" in
    CONFIG_*=y) opt="${line%%=*}"
      if ! grep -qx "$opt=y" .config; then echo "kernel: warning: $opt=y not set (dependency?)" >&2; missing=1; fi ;;
  esac
done < "$here/stratus.config"

echo "kernel: building vmlinux with $jobs jobs (takes ~10 min on 2 cores)" >&2
start=$(date +%s)
log="$cache_root/build-$hash.log"
# Progress: one line per 250 compiled files (a full build compiles ~1,500).
if ! make ARCH=x86_64 -j"$jobs" vmlinux 2>&1 | tee "$log" |
    awk '/^  CC /{n++; if (n % 250 == 0) {printf "kernel: %d files compiled\n", n > "/dev/stderr"; fflush("/dev/stderr")}}'; then
  tail -40 "$log" >&2
  echo "kernel: build failed, full log: $log" >&2
  exit 1
fi
echo "kernel: built in $(( $(date +%s) - start ))s" >&2

mkdir -p "$out.tmp"
cp vmlinux "$out.tmp/vmlinux"
cp .config "$out.tmp/config"
echo "$src_version" > "$out.tmp/source-version"
rm -rf "$out"; mv "$out.tmp" "$out"
echo "$out/vmlinux"
