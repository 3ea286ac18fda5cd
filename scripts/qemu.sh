#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boots an emulated board with our kernel, loads the dmacopy module and runs commands, or
# gives an interactive shell.
#
#   scripts/qemu.sh [--board versal|rpi3] [--add FILE...] [--exec 'CMD'] [--log FILE]
#                   [--timeout SECS] [--no-module] [--module-args 'ARGS'] [--append 'ARGS']
#                   [--kmemleak] [--interactive]
#   scripts/qemu.sh --scan LOG [--kmemleak]
#   scripts/qemu.sh --self-test
#
# --board NAME     versal (default): QEMU xlnx-versal-virt, ZynqMP ZDMA, 2 GiB, 2 CPUs, 8 DMA
#                  channels, one platform device each (ffa80000.dma ... ffaf0000.dma);
#                  rpi3: QEMU raspi3b (Raspberry Pi 3 B), BCM2835 DMA, 1 GiB, 4 CPUs, one
#                  platform device 3f007000.dma-controller with 11 channels
# --add FILE...    files put in the guest's /usr/local/bin (in PATH)
# --exec 'CMD'     shell command(s) run in the guest; its exit status is this script's
# --log FILE       console log (default build/qemu.log)
# --timeout SECS   wall-clock limit; QEMU is killed past it (default 600)
# --no-module      do not insmod dmacopy.ko at boot
# --module-args    parameters for insmod, e.g. 'buf_size=65536'
# --append 'ARGS'  more kernel command line
# --kmemleak       the kernel must have kmemleak (the debug kernel): fail the run without it
# --interactive    a shell on the console instead of --exec
# --scan LOG       only scan the kernel log of an earlier run's console LOG, as below
# --self-test      check that the scan catches each kind of report, on sample logs (TAP)
#
# The guest's /lib/modules holds dmacopy.ko, dmatest.ko and the board's upstream DMA driver
# (versal: zynqmp_dma.ko; rpi3: virt-dma.ko and bcm2835-dma.ko, in that order), for comparison;
# only dmacopy.ko is loaded.
#
# After the commands, the guest scans for memory leaks (kmemleak, when the kernel has it) and
# prints its kernel log. The run fails (exit 3) when that log, or the leak report, holds a
# KASAN, lockdep, sleeping-in-atomic, kmemleak, WARN, BUG or oops report, or is incomplete.
# Leaks are counted from the loading of dmacopy.ko on: what boot itself left is cleared first.
#
# Exit status: the commands' (0 if all went well), 3 kernel report, 124 time limit, 125 the
# guest stopped without a result.
#
# Environment (defaults in brackets): KDIR [the cached kernel build], MODULE [./dmacopy.ko],
# CLI [tools/target/aarch64-unknown-linux-musl/release/dmacopy], KSELFTEST [build/kselftest],
# BUSYBOX [~/.cache/dmacopy/busybox/bin/busybox], QEMU [qemu-system-aarch64], BUILD [build],
# DTB [rpi3: KDIR/arch/arm64/boot/dts/broadcom/bcm2837-rpi-3-b.dtb].
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

# What fails a run when the guest's kernel log or leak report shows it (extended regexps).
REPORTS=(
	'BUG:'                                  # KASAN, sleeping in atomic, bad page, lockdep BUGs
	'BUG [^ ]+ \((Not t|T)ainted'           # SLUB object checks
	'kernel BUG at'
	'WARNING:'                              # WARN*, and lockdep's reports
	'cut here'
	'Oops'
	'Internal error:'
	'Unable to handle'
	'SError Interrupt'
	'Kernel panic'
	'Call trace:'
	'possible circular locking'
	'inconsistent lock state'
	'possible recursive locking'
	'suspicious RCU usage'
	'sleeping function called from invalid context'
	'scheduling while atomic'
	'unreferenced object'                   # kmemleak
	'refcount_t:'
	'list_(add|del) corruption'
	'ODEBUG:'
	'UBSAN:'
	'detected stall'
	'soft lockup'
	'blocked for more than'
	'Kernel memory leak detector disabled'  # kmemleak gave up: the leak check would be blind
)

# scan_log LOG [KMEMLEAK_REQUIRED]: the kernel-report check of a finished run's console log.
# Prints what it found; returns 0 when the log is clean, 1 otherwise.
scan_log() {
	local log=$1 need_kmemleak=${2:-0} text dmesg leaks found bad=0
	text=$(tr -d '\r' <"$log")
	dmesg=$(sed -n '/^DMACOPY-DMESG-BEGIN$/,/^DMACOPY-DMESG-END$/p' <<<"$text")
	leaks=$(sed -n '/^DMACOPY-KMEMLEAK-BEGIN$/,/^DMACOPY-KMEMLEAK-END$/p' <<<"$text")
	if ! grep -q '^DMACOPY-DMESG-END$' <<<"$dmesg"; then
		say "the guest printed no kernel log"
		return 1
	fi
	# dmesg must start with the boot banner: otherwise the ring buffer wrapped and a report
	# may be lost.
	if ! grep -q 'Booting Linux on physical CPU' <<<"$dmesg"; then
		say "the kernel log is incomplete (its beginning was overwritten): raise log_buf_len"
		bad=1
	fi
	if [ "$need_kmemleak" = 1 ] && ! grep -q '^DMACOPY-KMEMLEAK: scanned$' <<<"$text"; then
		say "kmemleak is missing or did not scan ($(grep '^DMACOPY-KMEMLEAK:' <<<"$text" || echo 'no result'))"
		bad=1
	fi
	local re
	re=$(IFS='|'; echo "${REPORTS[*]}")
	if found=$(printf '%s\n%s\n' "$dmesg" "$leaks" | grep -E -e "$re"); then
		printf '%s\n' "$found" | head -n 60 >&2
		[ "$(wc -l <<<"$found")" -gt 60 ] && say "... $(wc -l <<<"$found") report lines in all"
		bad=1
	fi
	return $bad
}

# self_test: the scanner against sample logs, one TAP line per case; 1 if one case failed.
self_test() {
	local dir n=0 bad=0 line
	dir=$(mktemp -d)
	# shellcheck disable=SC2064 # expanded now on purpose: $dir is local and gone by RETURN
	trap "rm -rf '$dir'" RETURN
	printf '%s\n' DMACOPY-BEGIN 'ok 1 selftests: dmacopy: dmacopy_test' \
		'# # BUG: a test printing this is not a kernel report' DMACOPY-END \
		DMACOPY-KMEMLEAK-BEGIN DMACOPY-KMEMLEAK-END 'DMACOPY-KMEMLEAK: scanned' \
		DMACOPY-DMESG-BEGIN \
		'[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x410fd083]' \
		'[    3.100000] dmacopy: loading out-of-tree module taints kernel.' >"$dir/head"
	printf '%s\n' DMACOPY-DMESG-END 'DMACOPY-EXIT: 0' >"$dir/tail"
	# check NAME WANT(0 clean, 1 report) [--kmemleak]: scans $dir/log.
	check() {
		local name=$1 want=$2 got=0
		n=$((n + 1))
		scan_log "$dir/log" "${3:-0}" >/dev/null 2>&1 || got=1
		if [ "$got" = "$want" ]; then
			echo "ok $n - $name"
		else
			echo "not ok $n - $name"
			bad=1
		fi
	}
	cat "$dir/head" "$dir/tail" >"$dir/log"
	check "a clean log passes" 0
	check "a clean log passes with --kmemleak" 0 1
	while IFS= read -r line; do
		cat "$dir/head" - "$dir/tail" <<<"[   12.345678] $line" >"$dir/log"
		check "caught: $line" 1
	done <<'SAMPLES'
BUG: KASAN: slab-use-after-free in __fput+0x1c/0x3a0
WARNING: possible circular locking dependency detected
WARNING: inconsistent lock state
WARNING: possible recursive locking detected
WARNING: suspicious RCU usage
BUG: sleeping function called from invalid context at kernel/locking/mutex.c:580
BUG: scheduling while atomic: dmacopy_test/93/0x00000002
WARNING: kernel/module/main.c:957 at module_put+0x9c/0xa8, CPU#1: dmacopy_test/120
WARNING: CPU: 1 PID: 120 at drivers/dma/dmaengine.c:1126 dma_async_device_unregister+0x1/0x2
------------[ cut here ]------------
kernel BUG at mm/slub.c:100!
Internal error: Oops - BUG: 00000000f2000800 [#1]  SMP
Unable to handle kernel paging request at virtual address dead000000000108
Call trace:
Kernel panic - not syncing: Oops: Fatal exception
refcount_t: underflow; use-after-free.
list_add corruption. prev->next should be next (ffff000001234568), but was 0000000000000000.
list_del corruption, ffff00000456f000->next is LIST_POISON1 (dead000000000100)
ODEBUG: free active (active state 0) object: 00000000b9d3e3ac object type: timer_list
BUG kmalloc-128 (Tainted: G    B      O       ): Poison overwritten
BUG: Bad page state in process dmacopy_test  pfn:4812a
rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:
watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [dmacopy_test:99]
INFO: task dmacopy_test:99 blocked for more than 120 seconds.
kmemleak: Kernel memory leak detector disabled
SError Interrupt on CPU1, code 0x00000000bf000002 -- SError
UBSAN: shift-out-of-bounds in drivers/foo.c:12:3
SAMPLES
	sed 's/^DMACOPY-KMEMLEAK-BEGIN$/&\nunreferenced object 0xffff000002a3c000 (size 4096):/' \
		"$dir/head" | cat - "$dir/tail" >"$dir/log"
	check "caught: a kmemleak report" 1
	sed 's/\r*$/\r/' "$dir/log" >"$dir/log.crlf" && mv "$dir/log.crlf" "$dir/log"
	check "caught: a kmemleak report with CRLF line ends" 1
	grep -v 'Booting Linux' "$dir/head" | cat - "$dir/tail" >"$dir/log"
	check "caught: a kernel log whose beginning was overwritten" 1
	sed 's/^DMACOPY-KMEMLEAK: scanned$/DMACOPY-KMEMLEAK: absent/' "$dir/head" | cat - "$dir/tail" >"$dir/log"
	check "caught: no kmemleak where it is required" 1 1
	check "no kmemleak where it is not required passes" 0
	sed '/^DMACOPY-DMESG-BEGIN$/,$d' "$dir/head" >"$dir/log"
	check "caught: no kernel log" 1
	echo "1..$n"
	return $bad
}

board=versal
adds=()
cmd=""
log=$BUILD/qemu.log
limit=600
load=1
modargs=""
append=""
kmemleak=0
interactive=0
scan=""
while [ $# -gt 0 ]; do
	case "$1" in
	--board) board=${2:-}; shift ;;
	--add)
		shift
		while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do adds+=("$1"); shift; done
		continue ;;
	--exec) cmd=$2; shift ;;
	--log) log=$2; shift ;;
	--timeout) limit=$2; shift ;;
	--no-module) load=0 ;;
	--module-args) modargs=$2; shift ;;
	--append) append=$2; shift ;;
	--kmemleak) kmemleak=1 ;;
	--interactive) interactive=1 ;;
	--scan) scan=$2; shift ;;
	--self-test) self_test; exit ;;
	-h|--help) sed -n '4,/^set -euo/{/^set -euo/d;p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done

if [ -n "$scan" ]; then
	[ -f "$scan" ] || die "--scan: no such file: $scan"
	if scan_log "$scan" "$kmemleak"; then
		say "$scan: no kernel report"
		exit 0
	fi
	say "$scan: the kernel reported a problem (above)"
	exit 3
fi

[ $interactive = 1 ] || [ -n "$cmd" ] || die "nothing to run: give --exec 'CMD' or --interactive"
case "$limit" in ''|*[!0-9]*) die "--timeout wants whole seconds, not '$limit'" ;; esac

if [ -z "${KDIR:-}" ]; then
	KDIR=$("$top/scripts/build-kernel.sh")
fi
image=$KDIR/arch/arm64/boot/Image
[ -f "$image" ] || die "no kernel image at $image (KDIR=$KDIR); run 'make' first"

# --- The board ----------------------------------------------------------------
# rpi3_dtb DTB DIR: prints the path of DTB adapted to QEMU's raspi3b, built in DIR. The
# machine emulates neither the firmware's GPIO expander (its mailbox leaves the property
# GET_GPIO_CONFIG unanswered, so the raspberrypi-exp-gpio driver logs "Failed to get GPIO N
# config" for each line) nor the Bluetooth chip on uart0 (QEMU gives that UART to our console;
# its shutdown GPIO on the expander gives "Failed to create device link ... bluetooth"). An
# overlay disables both nodes, as on a board without them.
rpi3_dtb() {
	local base=$1 dir=$2 dtc fdtoverlay
	dtc=$KDIR/scripts/dtc/dtc
	fdtoverlay=$KDIR/scripts/dtc/fdtoverlay
	[ -x "$dtc" ] || dtc=$(command -v dtc) || die "no dtc in $KDIR/scripts/dtc or PATH"
	[ -x "$fdtoverlay" ] || fdtoverlay=$(command -v fdtoverlay) ||
		die "no fdtoverlay in $KDIR/scripts/dtc or PATH"
	mkdir -p "$dir"
	cat >"$dir/qemu-raspi3b.dtso" <<'DTSO'
/dts-v1/;
/plugin/;

/* Not emulated by QEMU's raspi3b. */
&expgpio {
	status = "disabled";
};

&bt {
	status = "disabled";
};
DTSO
	"$dtc" -q -@ -I dts -O dtb -o "$dir/qemu-raspi3b.dtbo" "$dir/qemu-raspi3b.dtso" ||
		die "dtc could not compile $dir/qemu-raspi3b.dtso"
	"$fdtoverlay" -i "$base" -o "$dir/$(basename "$base" .dtb)-qemu.dtb" "$dir/qemu-raspi3b.dtbo" ||
		die "fdtoverlay could not apply $dir/qemu-raspi3b.dtbo to $base"
	echo "$dir/$(basename "$base" .dtb)-qemu.dtb"
}

# machine: QEMU's arguments; upstream: the board's upstream DMA driver and what it needs, in
# load order (copied to /lib/modules, never loaded at boot: it would take the controller).
case "$board" in
versal)
	machine=(-M xlnx-versal-virt -m 2G)
	upstream=(drivers/dma/xilinx/zynqmp_dma.ko)
	;;
rpi3)
	# Only 1 GiB is accepted. The device tree is the kernel's (build-kernel.sh builds it),
	# less what QEMU's raspi3b does not emulate (rpi3_dtb).
	DTB=${DTB:-$KDIR/arch/arm64/boot/dts/broadcom/bcm2837-rpi-3-b.dtb}
	[ -f "$DTB" ] || die "no Raspberry Pi 3 device tree at $DTB; run scripts/build-kernel.sh (it adds it to a cached build)"
	machine=(-M raspi3b -m 1G -dtb "$(rpi3_dtb "$DTB" "$BUILD/rpi3")")
	upstream=(drivers/dma/virt-dma.ko drivers/dma/bcm2835-dma.ko)
	;;
*) die "--board: unknown board '$board' (versal or rpi3)" ;;
esac
[ -x "$BUSYBOX" ] || die "no arm64 busybox at $BUSYBOX; run scripts/setup.sh"
command -v "$QEMU" >/dev/null || die "$QEMU not found; run scripts/setup.sh"
for f in "${adds[@]}"; do [ -f "$f" ] || die "--add: no such file: $f"; done

# --- The root file system -----------------------------------------------------
root=$BUILD/rootfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,proc,sys,dev,tmp,etc/dmacopy,lib/modules,root}
cp "$BUSYBOX" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
for m in "${upstream[@]}" drivers/dma/dmatest.ko; do
	if [ -f "$KDIR/$m" ]; then cp "$KDIR/$m" "$root/lib/modules/"; fi
done
if [ -f "$MODULE" ]; then
	cp "$MODULE" "$root/lib/modules/dmacopy.ko"
elif [ $load = 1 ]; then
	die "no module at $MODULE; run 'make' first"
fi
if [ -x "$CLI" ]; then cp "$CLI" "$root/usr/bin/dmacopy"; fi
if [ -d "$KSELFTEST" ]; then
	mkdir -p "$root/kselftest"
	cp -r "$KSELFTEST"/. "$root/kselftest/"
fi
for f in "${adds[@]}"; do
	cp "$f" "$root/usr/local/bin/"
	chmod +x "$root/usr/local/bin/$(basename "$f")"
done
if [ $load = 1 ]; then printf '%s\n' "$modargs" >"$root/etc/dmacopy/load-module"; fi
printf '%s\n' "$cmd" >"$root/etc/dmacopy/run.sh"
if [ $interactive = 1 ]; then : >"$root/etc/dmacopy/interactive"; fi
printf '%s\n' "$board" >"$root/etc/dmacopy/board"

# The kselftest runner limits each program with '/usr/bin/timeout --foreground SECS ...' and
# reports status 124 as a timeout. busybox's timeout has no --foreground (the guest's shell is
# not interactive, so it does not matter here) and ends with the TERM signal's 143 instead.
# /init puts this in place of busybox's applet.
cat >"$root/etc/dmacopy/timeout" <<'TIMEOUT'
#!/bin/sh
[ "$1" = --foreground ] && shift
/bin/busybox timeout "$@"
rc=$?
[ $rc = 143 ] && rc=124
exit $rc
TIMEOUT
chmod +x "$root/etc/dmacopy/timeout"

cat >"$root/init" <<'INIT'
#!/bin/sh
/bin/busybox --install -s
rm -f /usr/bin/timeout
cp /etc/dmacopy/timeout /usr/bin/timeout
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
kml=/sys/kernel/debug/kmemleak
if [ -w $kml ]; then
	# Leaks count from here on: report what boot left (objects must be 5 s old to be
	# reported, and seen unchanged by two scans), then mark it as seen.
	sleep 5
	echo scan >$kml
	echo scan >$kml
	echo "DMACOPY-KMEMLEAK-BOOT: $(grep -c '^unreferenced object' $kml) objects cleared"
	echo clear >$kml
fi
if [ -f /etc/dmacopy/load-module ]; then
	# shellcheck disable=SC2046 # the module's parameters, one word each
	insmod /lib/modules/dmacopy.ko $(cat /etc/dmacopy/load-module) || echo "insmod dmacopy.ko failed"
fi
if [ -f /etc/dmacopy/interactive ]; then
	echo "dmacopy board $(cat /etc/dmacopy/board): 'dmacopy info', 'dmacopy copy', 'poweroff -f' to leave"
	setsid cttyhack sh -l
	rc=$?
else
	echo "DMACOPY-BEGIN"
	sh -e /etc/dmacopy/run.sh
	rc=$?
	echo "DMACOPY-END"
fi
if [ -w $kml ]; then
	# Two scans, 5 s apart: an object is reported once it is 5 s old and unchanged.
	sleep 5
	echo scan >$kml
	sleep 5
	echo scan >$kml
	echo "DMACOPY-KMEMLEAK-BEGIN"
	cat $kml
	echo "DMACOPY-KMEMLEAK-END"
	echo "DMACOPY-KMEMLEAK: scanned"
else
	echo "DMACOPY-KMEMLEAK: absent"
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

# log_buf_len: room for a whole run's kernel log, so that the scan sees all of it.
qemu=("$QEMU" "${machine[@]}" -nographic -no-reboot
	-kernel "$image" -initrd "$initrd"
	-append "console=ttyAMA0 rdinit=/init loglevel=1 panic=-1 log_buf_len=4M${append:+ $append}")

if [ $interactive = 1 ]; then
	say "booting; type 'poweroff -f' to leave (Ctrl-A X kills QEMU)"
	exec "${qemu[@]}"
fi

say "booting $board (QEMU ${machine[1]}, limit ${limit}s), console in $log"
start=$(date +%s)
set +e
timeout --foreground -k 5 "$limit" "${qemu[@]}" </dev/null >"$log" 2>&1
qrc=$?
set -e
say "the guest ran $(( $(date +%s) - start ))s"
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
if ! scan_log "$log" "$kmemleak"; then
	say "the kernel reported a problem (above; console: $log)"
	[ "$rc" = 0 ] || say "(the commands' own exit status was $rc)"
	rc=3
fi
exit "$rc"
