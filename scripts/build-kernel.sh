#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds the emulated boards' arm64 kernel (Image, modules and the Raspberry Pi 3's
# device tree) out of tree, in a cache keyed by the kernel source package and the
# config fragments, so that an unchanged tree costs seconds and a changed fragment
# rebuilds. One kernel boots both boards: QEMU's xlnx-versal-virt (its device tree
# comes from QEMU) and raspi3b (it needs $KDIR/arch/arm64/boot/dts/$DTB_RPI3).
#
#   scripts/build-kernel.sh            the normal kernel (kernel.config)
#   scripts/build-kernel.sh --debug    the debug kernel (kernel.config + kernel-debug.config:
#                                      KASAN, lockdep, DEBUG_PAGEALLOC, kmemleak, ...)
#
# Prints the build directory (the KDIR for out-of-tree modules) on stdout;
# progress goes to stderr. A cached build that lacks the device tree (built before it
# was added) gets it, in seconds, without a rebuild.
#
# Environment:
#   DMACOPY_CACHE  cache directory (default ~/.cache/dmacopy)
#   KSRC           kernel source tree (default: the cached linux-source-7.2)
#   LLVM           LLVM suffix for the kernel build (default -19)
#   JOBS           parallel jobs (default: CPUs + 1)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
CACHE=${DMACOPY_CACHE:-$HOME/.cache/dmacopy}
KSRC=${KSRC:-$CACHE/src/linux-source-7.2}
LLVM=${LLVM:--19}
JOBS=${JOBS:-$(( $(nproc) + 1 ))}
FRAGMENTS=("$here/kernel.config")
variant=linux
case "${1:-}" in
"") ;;
--debug) FRAGMENTS+=("$here/kernel-debug.config"); variant=linux-debug ;;
*) printf '[kernel] error: unknown argument %s (use --debug or nothing)\n' "$1" >&2; exit 2 ;;
esac

say() { printf '[kernel] %s\n' "$*" >&2; }
die() { printf '[kernel] error: %s\n' "$*" >&2; exit 1; }

[ -f "$KSRC/Makefile" ] || die "no kernel source at $KSRC; run scripts/setup.sh (or set KSRC)"
export PATH="$HOME/.cargo/bin:$PATH"

kver=$(make -s -C "$KSRC" kernelversion 2>/dev/null) || die "cannot read the kernel version of $KSRC"
pkg=$(cat "$KSRC/.debian-package" 2>/dev/null || echo "$kver")
key=$(printf '%s\n%s\n%s\n' "$pkg" "$LLVM" "$(cat "${FRAGMENTS[@]}")" | sha256sum | cut -c1-12)
KOUT=$CACHE/build/$variant-$kver-$key
stamp=$KOUT/.dmacopy-built
# The raspi3b board's device tree (QEMU's xlnx-versal-virt makes its own).
DTB_RPI3=broadcom/bcm2837-rpi-3-b.dtb
dtb=$KOUT/arch/arm64/boot/dts/$DTB_RPI3
k() { make -C "$KSRC" ARCH=arm64 LLVM="$LLVM" O="$KOUT" "$@"; }
# build_dtb LOG: builds the device tree into the kernel build.
build_dtb() {
	k "$DTB_RPI3" >>"$1" 2>&1 || { tail -n 20 "$1" >&2; die "building $DTB_RPI3 failed; full log: $1"; }
	[ -f "$dtb" ] || die "building $DTB_RPI3 left no $dtb"
}

if [ -f "$stamp" ] && [ -f "$dtb" ]; then
	echo "$KOUT"
	exit 0
fi

mkdir -p "$KOUT"
exec 9>"$KOUT/.lock"
flock 9
if [ -f "$stamp" ]; then
	if [ ! -f "$dtb" ]; then
		say "building $DTB_RPI3 in $KOUT"
		build_dtb "$KOUT/dtb.log"
	fi
	echo "$KOUT"
	exit 0
fi

say "building Linux $kver ($variant) for arm64 with Rust in $KOUT"
say "this takes about 10 minutes on 2 cores; later runs reuse it"
start=$(date +%s)
log=$KOUT/build.log
{
	k allnoconfig
	ARCH=arm64 LLVM=$LLVM "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KOUT" "$KOUT/.config" "${FRAGMENTS[@]}"
	k olddefconfig
} >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "configuring failed; full log: $log"; }

# Every option of the fragment must have survived olddefconfig.
bad=0
while IFS= read -r line; do
	case "$line" in CONFIG_*) ;; *) continue ;; esac
	grep -qx "$line" "$KOUT/.config" || { say "config: $line did not stick"; bad=1; }
done < <(cat "${FRAGMENTS[@]}")
if [ $bad = 1 ]; then
	k rustavailable >&2 || true
	die "the kernel configuration lacks options of ${FRAGMENTS[*]} (see above)"
fi

if ! k -j"$JOBS" Image modules >>"$log" 2>&1; then
	tail -n 40 "$log" >&2
	die "kernel build failed; full log: $log"
fi
build_dtb "$log"
echo "$pkg" >"$stamp"
say "kernel built in $(( $(date +%s) - start ))s"
echo "$KOUT"
