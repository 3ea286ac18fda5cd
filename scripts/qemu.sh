#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boots the emulated ZynqMP/Versal board (QEMU xlnx-versal-virt) with our kernel, loads the
# dmacopy module and runs commands, or gives an interactive shell.
#
#   scripts/qemu.sh [--add FILE...] [--exec 'CMD'] [--log FILE] [--timeout SECS]
#                   [--no-module] [--module-args 'ARGS'] [--interactive]
#
# --add FILE...    files put in the guest's /usr/local/bin (in PATH)
# --exec 'CMD'     shell command(s) run in the guest; its exit status is this script's
# --log FILE       console log (default build/qemu.log)
# --timeout SECS   wall-clock limit; QEMU is killed past it (default 600)
# --no-module      do not insmod dmacopy.ko at boot
# --module-args    parameters for insmod, e.g. 'buf_size=65536'
# --interactive    a shell on the console instead of --exec
#
# Environment (defaults in brackets): KDIR [the cached kernel build], MODULE [./dmacopy.ko],
# CLI [tools/target/aarch64-unknown-linux-musl/release/dmacopy], KSELFTEST [build/kselftest],
# BUSYBOX [~/.cache/dmacopy/busybox/bin/busybox], QEMU [qemu-system-aarch64], BUILD [build].
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${DMACOPY_CACHE:-$HOME/.cache/dmacopy}
BUILD=${BUILD:-$top/build}
QEMU=${QEMU:-qemu-system-aarch64}
BUSYBOX=${BUSYBOX:-$CACHE/busybox/bin/busybox}
MODULE=${MODULE:-$top/dmacopy.ko}
CLI=${CLI:-$top/tools/target/aarch64-unknown-linux-musl/release/dmacopy}
KSELFTEST=${KSELFTEST:-$BUILD/kselftest}

die() { printf '[qemu] error: %s\n' "$*" >&2; exit 1; }
say() { printf '[qemu] %s\n' "$*" >&2; }

adds=()
cmd=""
log=$BUILD/qemu.log
limit=600
load=1
modargs=""
interactive=0
while [ $# -gt 0 ]; do
	case "$1" in
	--add)
		shift
		while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do adds+=("$1"); shift; done
		continue ;;
	--exec) cmd=$2; shift ;;
	--log) log=$2; shift ;;
	--timeout) limit=$2; shift ;;
	--no-module) load=0 ;;
	--module-args) modargs=$2; shift ;;
	--interactive) interactive=1 ;;
	-h|--help) sed -n '4,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
[ $interactive = 1 ] || [ -n "$cmd" ] || die "nothing to run: give --exec 'CMD' or --interactive"

if [ -z "${KDIR:-}" ]; then
	KDIR=$("$top/scripts/build-kernel.sh")
fi
image=$KDIR/arch/arm64/boot/Image
[ -f "$image" ] || die "no kernel image at $image (KDIR=$KDIR); run 'make' first"
[ -x "$BUSYBOX" ] || die "no arm64 busybox at $BUSYBOX; run scripts/setup.sh"
command -v "$QEMU" >/dev/null || die "$QEMU not found; run scripts/setup.sh"
for f in "${adds[@]}"; do [ -f "$f" ] || die "--add: no such file: $f"; done

# --- The root file system -----------------------------------------------------
root=$BUILD/rootfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,proc,sys,dev,tmp,etc/dmacopy,lib/modules,root}
cp "$BUSYBOX" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
for m in drivers/dma/xilinx/zynqmp_dma.ko drivers/dma/dmatest.ko; do
	[ -f "$KDIR/$m" ] && cp "$KDIR/$m" "$root/lib/modules/"
done
if [ -f "$MODULE" ]; then
	cp "$MODULE" "$root/lib/modules/dmacopy.ko"
elif [ $load = 1 ]; then
	die "no module at $MODULE; run 'make' first"
fi
[ -x "$CLI" ] && cp "$CLI" "$root/usr/bin/dmacopy"
if [ -d "$KSELFTEST" ]; then
	mkdir -p "$root/kselftest"
	cp -r "$KSELFTEST"/. "$root/kselftest/"
fi
for f in "${adds[@]}"; do
	cp "$f" "$root/usr/local/bin/"
	chmod +x "$root/usr/local/bin/$(basename "$f")"
done
[ $load = 1 ] && printf '%s\n' "$modargs" >"$root/etc/dmacopy/load-module"
printf '%s\n' "$cmd" >"$root/etc/dmacopy/run.sh"
[ $interactive = 1 ] && : >"$root/etc/dmacopy/interactive"

cat >"$root/init" <<'INIT'
#!/bin/sh
/bin/busybox --install -s
# The kselftest runner calls 'timeout --foreground', which busybox lacks.
rm -f /usr/bin/timeout
export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
cd /root
if [ -f /etc/dmacopy/load-module ]; then
	# shellcheck disable=SC2046
	insmod /lib/modules/dmacopy.ko $(cat /etc/dmacopy/load-module) || echo "insmod dmacopy.ko failed"
fi
if [ -f /etc/dmacopy/interactive ]; then
	echo "dmacopy board: 'dmacopy info', 'dmacopy copy', 'poweroff -f' to leave"
	setsid cttyhack sh -l
	rc=$?
else
	echo "DMACOPY-BEGIN"
	sh -e /etc/dmacopy/run.sh
	rc=$?
	echo "DMACOPY-END"
fi
echo "DMACOPY-DMESG-BEGIN"
dmesg
echo "DMACOPY-DMESG-END"
echo "DMACOPY-EXIT: $rc"
poweroff -f
INIT
chmod +x "$root/init"
mkdir -p "$(dirname "$log")"
initrd=$BUILD/initramfs.cpio.gz
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$initrd"

qemu=("$QEMU" -M xlnx-versal-virt -m 2G -nographic -no-reboot
	-kernel "$image" -initrd "$initrd"
	-append "console=ttyAMA0 rdinit=/init loglevel=1 panic=-1")

if [ $interactive = 1 ]; then
	say "booting; type 'poweroff -f' to leave (Ctrl-A X kills QEMU)"
	exec "${qemu[@]}"
fi

say "booting xlnx-versal-virt (limit ${limit}s), console in $log"
set +e
timeout --foreground -k 5 "$limit" "${qemu[@]}" </dev/null >"$log" 2>&1
qrc=$?
set -e
# Show the guest's output between the markers.
sed -n '/^DMACOPY-BEGIN/,/^DMACOPY-END/{/^DMACOPY-\(BEGIN\|END\)/d;p}' "$log" | tr -d '\r'
if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	say "the guest did not finish within ${limit}s: QEMU killed (console: $log)"
	exit 124
fi
rc=$(tr -d '\r' <"$log" | sed -n 's/^DMACOPY-EXIT: \([0-9]*\)$/\1/p' | tail -n1)
if [ -z "$rc" ]; then
	tail -n 30 "$log" >&2
	say "the guest stopped without reporting a result (QEMU status $qrc; console: $log)"
	exit 125
fi
if tr -d '\r' <"$log" | sed -n '/^DMACOPY-DMESG-BEGIN/,/^DMACOPY-DMESG-END/p' |
	grep -E 'Oops|BUG:|WARNING:|Kernel panic|Call trace:|Unable to handle' >&2; then
	say "the kernel reported a problem (above; console: $log)"
	[ "$rc" = 0 ] && rc=3
fi
exit "$rc"
