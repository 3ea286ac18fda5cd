#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`, the part that runs inside the emulated board (busybox sh), started by
# scripts/bench.sh through scripts/qemu.sh with dmacopy.ko loaded and bound to every channel.
#
#   bench-guest.sh [--board versal|rpi3] [--secs S] [--repeats N] [--warmup S] [--sizes 'LIST']
#                  [--dmatest-cpus all|none|LIST]
#
# 1. `dmacopy bench --json --out FILE` (our rows: DMA, CPU and AUTO from each CPU, memcpy,
#    the null ioctl, 1/2/4/8 channels at once, and all 11 on rpi3; issue 9's COPY_USER against
#    the bounce path and memcpy at 4 KiB to 64 MiB, the same two (user-huge, bounce-huge) with
#    the user buffers on transparent huge pages, and COPY_BATCH of 1, 16 and 256 entries of
#    64 B, 4 KiB and 64 KiB against the same copies one COPY each, or, where the driver does not
#    set copy_user / batch in caps, or the kernel has no transparent huge pages, the reason they
#    were not measured), with --secs and --repeats, and --sizes when given.
# 2. A channel goes to the board's upstream C driver, and the kernel's dmatest copies on it: for
#    each repeat { for each size { interrupt mode, then polled=1 } }.
#    versal (the default): the last ZDMA channel, ffaf0000.dma (a platform device of its own),
#    goes to zynqmp_dma; the other 7 stay with dmacopy.
#    rpi3: the BCM2835 controller is one platform device for all 11 channels, and the upstream
#    bcm2835-dma takes all of them: dmacopy is unbound from 3f007000.dma-controller (its 11
#    nodes go), virt-dma.ko and bcm2835-dma.ko are loaded, and dmatest copies on dma0chan0
#    (hardware channel 0, the channel of /dev/dmacopy0). Every size must be a multiple of 4:
#    with norandom=1 dmatest copies exactly the size, from offset 0 to offset 0, and QEMU's
#    BCM2835 model never ends a copy whose length is not a multiple of 4. (dmatest's
#    alignment=2 would round the lengths, but it also adds 2 bytes to each buffer it
#    kmalloc()s, which makes a 4 MiB buffer an order-11 allocation: a page allocator WARNING.)
#    Every dmatest run lasts --secs: it starts with iterations=0 (no limit) and is stopped by
#    `echo 0 > run` once --secs have passed; dmatest then prints its summary with the copies
#    it ran and its own run time in microseconds. This bounds each run whatever the rate,
#    which swings a hundredfold with the CPU its thread lands on (iterations from a
#    calibration run would not: the next run's thread may land elsewhere). In interrupt mode
#    the stop cuts the copy in flight short: kthread_stop() sets TIF_NOTIFY_SIGNAL, which ends
#    the thread's interruptible wait, and dmatest reports that last copy as "test timed out"
#    (result #N of N tests), or, on the upstream bcm2835-dma, when its callback raced the stop,
#    as "completion busy status" (seen only on result #N of N, interrupt mode); that one copy
#    is recorded as "cut" and not counted; any other failure is an error. Each measured run follows a --warmup run (default 0.1 s) of the same
#    size and mode, whose figures are dropped.
#    dmatest's thread is pinned (taskset, before it starts) to each of --dmatest-cpus in turn
#    (default all: every CPU), a row per CPU: unpinned, each run's new thread lands on either
#    CPU, and from the CPU that does not take the channel's interrupt dmatest runs 40 to 100
#    times slower, so that the median of a few unpinned runs would be a draw. `none`: not
#    pinned, the CPUs its thread was seen on are recorded.
#    `cat wait` is not used: it waits uninterruptibly and without a bound.
#    Then dmatest is unloaded before the upstream driver (see release_upstream) and the
#    device goes back to dmacopy.
#
# Output on standard output, each JSON document between its own marker lines:
#   DMACOPY-BENCH-OURS-JSON-BEGIN / -END        `dmacopy bench`'s document (schema dmacopy-bench/1)
#   DMACOPY-BENCH-DMATEST-JSON-BEGIN / -END     dmatest's runs (schema dmacopy-dmatest/1)
# Exit status: 0 when both parts ran completely; 1 otherwise (the message says why).
# shellcheck disable=SC3043 # busybox ash has local
set -eu
# shellcheck disable=SC3040 # busybox ash has pipefail
set -o pipefail

board=versal
secs=1
repeats=3
warmup=0.1
sizes=""
dmatest_cpus=all
P=/sys/module/dmatest/parameters
PLAT=/sys/bus/platform
DEFAULT_SIZES="64 256 1024 4096 16384 65536 262144 1048576 4194304"
# Bound of one `echo 0 > run`: dmatest waits for the copy in flight, itself bounded by
# dmatest's `timeout` parameter (3000 ms); the rest is margin.
STOP_LIMIT_CS=1000

say() {
	local up
	read -r up _ </proc/uptime
	printf 'bench-guest [%s]: %s\n' "$up" "$*" >&2
}
die() { printf 'bench-guest: error: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--board) board=$2; shift ;;
	--secs) secs=$2; shift ;;
	--repeats) repeats=$2; shift ;;
	--warmup) warmup=$2; shift ;;
	--sizes) sizes=$2; shift ;;
	--dmatest-cpus) dmatest_cpus=$2; shift ;;
	*) die "unknown argument '$1'" ;;
	esac
	shift
done
case "$repeats" in ''|*[!0-9]*|0) die "--repeats wants a whole number above 0, not '$repeats'" ;; esac
# The board: DEV, the platform device handed to the upstream driver; UPSTREAM_DRIVER, that
# driver's name; UPSTREAM_MODULES, its modules in load order (/lib/modules/NAME.ko; unloaded in
# the reverse order); IRQ_NAME, its interrupts' name in /proc/interrupts; ALIGN, the bytes
# every size must be a multiple of; CHANNELS, the channel counts of our `channels` rows.
case "$board" in
versal)
	DEV=ffaf0000.dma
	UPSTREAM_DRIVER=xilinx-zynqmp-dma
	UPSTREAM_MODULES="zynqmp_dma"
	IRQ_NAME=zynqmp-dma
	ALIGN=1
	CHANNELS=1,2,4,8
	;;
rpi3)
	DEV=3f007000.dma-controller
	UPSTREAM_DRIVER=bcm2835-dma
	UPSTREAM_MODULES="virt-dma bcm2835-dma"
	IRQ_NAME="DMA IRQ"
	ALIGN=4
	# All 11 at once too: channels 11 to 14 (nodes 7 to 10) share one interrupt.
	CHANNELS=1,2,4,8,11
	;;
*) die "--board: unknown board '$board' (versal or rpi3)" ;;
esac
# centis S: S seconds (decimal, e.g. 1, 0.5) in hundredths, at least 1.
centis() {
	case "$1" in ''|*[!0-9.]*|*.*.*|.) die "not a number of seconds: '$1'" ;; esac
	awk -v s="$1" 'BEGIN { c = int(s * 100 + 0.5); if (c < 1) c = 1; print c }'
}
secs_cs=$(centis "$secs")
warmup_cs=$(centis "$warmup")
sizes=$(echo "${sizes:-$DEFAULT_SIZES}" | tr ',' ' ')
for s in $sizes; do
	case "$s" in ''|*[!0-9]*|0) die "sizes are whole numbers of bytes above 0, not '$s'" ;; esac
	[ $((s % ALIGN)) = 0 ] || die "size $s is not a multiple of $ALIGN, the DMA alignment on $board"
done
ncpus=$(grep -c '^processor' /proc/cpuinfo)
case "$dmatest_cpus" in
all) dmatest_cpus=$(seq 0 $((ncpus - 1)) | tr '\n' ' ') ;;
none) dmatest_cpus="" ;;
*) dmatest_cpus=$(echo "$dmatest_cpus" | tr ',' ' ') ;;
esac
for c in $dmatest_cpus; do
	case "$c" in ''|*[!0-9]*) die "--dmatest-cpus wants CPU numbers, not '$c'" ;; esac
	[ "$c" -lt "$ncpus" ] || die "--dmatest-cpus: there is no CPU $c ($ncpus CPUs)"
done

# now_cs: NOW = the time since boot in hundredths of a second (/proc/uptime), with shell
# built-ins only (no process to fork while dmatest runs).
now_cs() {
	local up
	read -r up _ </proc/uptime
	up=${up%.*}${up#*.}
	while [ "${#up}" -gt 1 ] && [ "${up#0}" != "$up" ]; do up=${up#0}; done
	NOW=$up
}

# json_str S: S as a JSON string.
json_str() {
	printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\r\n\t')"
}

# --- 1. Our rows --------------------------------------------------------------
command -v dmacopy >/dev/null || die "no dmacopy CLI in the guest"
[ -e "$PLAT/drivers/dmacopy/$DEV" ] || die "$DEV is not bound to dmacopy (is dmacopy.ko loaded?)"
cli_sizes=""
[ "$sizes" = "$DEFAULT_SIZES" ] || cli_sizes="--sizes $(echo "$sizes" | tr ' ' ',')"
thp=/sys/kernel/mm/transparent_hugepage
if [ -r $thp/enabled ]; then
	say "transparent huge pages: enabled $(cat $thp/enabled), defrag $(cat $thp/defrag)"
else
	say "transparent huge pages: none ($thp absent): user-huge and bounce-huge not measured"
fi
say "dmacopy bench --secs $secs --repeats $repeats --channels $CHANNELS ${cli_sizes}"
# shellcheck disable=SC2086 # cli_sizes is two words or none
# -q: a line per finished run on the console (the log) rather than a live progress line; its
# table on standard output is left out: the report prints the merged one.
if ! dmacopy bench --json --out /tmp/ours.json -q --secs "$secs" --repeats "$repeats" \
	--channels "$CHANNELS" $cli_sizes \
	>/tmp/ours.stdout; then
	cat /tmp/ours.stdout
	die "dmacopy bench failed"
fi
[ -s /tmp/ours.json ] || die "dmacopy bench wrote no /tmp/ours.json"

# --- 2. dmatest on the upstream driver -----------------------------------------
chan=""
upstream_loaded=0

# release_upstream: stop dmatest, unload it, then the upstream driver's modules, and give the
# device back to dmacopy. The order matters: dmatest keeps the channel it was given
# (dma_request_channel) until a run is stopped, `run` or `channel` is read after the run, or
# dmatest is unloaded; removing the upstream driver's device while a client holds a channel
# (sysfs unbind, rmmod, or zynqmp_dma's .shutdown at poweroff) makes
# dma_async_device_unregister() warn ("__dma_async_device_channel_unregister called while 1
# clients hold a reference", drivers/dma/dmaengine.c). Unloading dmatest first releases the
# channel.
release_upstream() {
	local ok=0 m mods=""
	[ $upstream_loaded = 1 ] || return 0
	upstream_loaded=0
	if [ -d /sys/module/dmatest ]; then
		echo 0 >$P/run 2>/dev/null || true
		rmmod dmatest || { say "rmmod dmatest failed"; ok=1; }
	fi
	for m in $UPSTREAM_MODULES; do mods="$m $mods"; done
	for m in $mods; do
		m=$(echo "$m" | tr - _)
		if [ -d "/sys/module/$m" ]; then
			rmmod "$m" || { say "rmmod $m failed"; ok=1; }
		fi
	done
	echo >"$PLAT/devices/$DEV/driver_override" || ok=1
	echo "$DEV" >"$PLAT/drivers/dmacopy/bind" || { say "binding $DEV to dmacopy again failed"; ok=1; }
	return $ok
}
trap 'release_upstream || true' EXIT

upstream_loaded=1
echo "$DEV" >"$PLAT/drivers/dmacopy/unbind"
echo "$UPSTREAM_DRIVER" >"$PLAT/devices/$DEV/driver_override"
for m in $UPSTREAM_MODULES; do insmod "/lib/modules/$m.ko"; done
insmod /lib/modules/dmatest.ko
# The device's channel with the lowest number (dma0chan0 rather than dma0chan10).
for c in /sys/class/dma/*; do
	[ -e "$c/device" ] || continue
	[ "$(basename "$(readlink -f "$c/device")")" = "$DEV" ] || continue
	c=$(basename "$c")
	if [ -z "$chan" ] || [ "${c##*chan}" -lt "${chan##*chan}" ]; then chan=$c; fi
done
[ -n "$chan" ] || die "$UPSTREAM_DRIVER registered no channel for $DEV (ls /sys/class/dma: $(ls /sys/class/dma))"
thread="$chan-copy0"
say "dmatest on $chan ($DEV, driver $UPSTREAM_DRIVER)"

# dmatest_run SIZE POLLED CENTIS [CPU]: one dmatest run of CENTIS hundredths of a second, its
# thread pinned to CPU if given. Sets R_TESTS, R_FAIL, R_IOPS, R_KIBS, R_RET, R_LINE (the
# summary line), R_CPUS (the CPUs its thread was seen on, sampled every 0.2 s: "0,1"), R_WHY
# (the last failed copy's result line, if any) and R_CUT (1 when the only failure is the copy
# that the stop cut short, see above). Returns 1 when dmatest printed no summary.
dmatest_run() {
	local size="$1" polled="$2" cs="$3" pin="${4:-}" pid="" d c t0 l cpu
	# The parameters are copied when `channel` is written (add_threaded_test): set it last.
	echo "$size" >$P/test_buf_size
	echo 1 >$P/norandom
	echo 1 >$P/noverify
	echo 0 >$P/iterations
	echo "$polled" >$P/polled
	echo 1 >$P/threads_per_chan
	echo 1 >$P/max_channels
	echo "$chan" >$P/channel
	for d in /proc/[0-9]*; do
		c=""
		read -r c <"$d/comm" 2>/dev/null || true
		if [ "$c" = "$thread" ]; then pid=${d#/proc/}; fi
	done
	[ -n "$pid" ] || { say "no thread $thread after writing channel"; return 1; }
	if [ -n "$pin" ]; then
		taskset -p "$(printf %x $((1 << pin)))" "$pid" >/dev/null ||
			{ say "cannot pin $thread to CPU $pin"; return 1; }
	fi
	R_CPUS=""
	now_cs
	t0=$NOW
	echo 1 >$P/run
	while :; do
		sleep 0.2
		# (2>/dev/null first: the thread may have ended, and the message would come first.)
		if read -r l 2>/dev/null <"/proc/$pid/stat"; then
			# Field 39 is the CPU the task last ran on (comm, field 2, has no spaces here).
			# shellcheck disable=SC2086 # split into stat's fields on purpose
			set -- $l
			shift 38
			cpu=$1
			case ",$R_CPUS," in *",$cpu,"*) ;; *) R_CPUS=${R_CPUS:+$R_CPUS,}$cpu ;; esac
		fi
		now_cs
		[ $((NOW - t0)) -lt "$cs" ] || break
	done
	# TIMEOUT: `echo 0 > run` returns once the thread has ended its copy in flight, which
	# dmatest bounds by its `timeout` (3 s); it runs in the background to be bounded here too.
	rm -f /tmp/dmatest-stop.rc
	( if echo 0 >$P/run; then echo 0; else echo 1; fi >/tmp/dmatest-stop.rc ) &
	now_cs
	t0=$NOW
	while [ ! -s /tmp/dmatest-stop.rc ]; do
		now_cs
		if [ $((NOW - t0)) -ge $STOP_LIMIT_CS ]; then
			say "dmatest did not stop within $((STOP_LIMIT_CS / 100)) s"
			return 1
		fi
		sleep 0.05
	done
	wait
	[ "$(cat /tmp/dmatest-stop.rc)" = 0 ] || { say "echo 0 > run failed"; return 1; }
	# The summary lines so far are counted in SUMMARIES: this run's is the next one.
	R_LINE=$(dmesg | grep "dmatest: $thread: summary" | sed -n "$((SUMMARIES + 1))p" |
		sed 's/^\[[^]]*\] *//')
	[ -n "$R_LINE" ] || { say "dmatest printed no summary for size $size polled=$polled"; return 1; }
	SUMMARIES=$((SUMMARIES + 1))
	# dmatest: dma0chan0-copy0: summary 25806 tests, 0 failures 20996.97 iops 83987 KB/s (0)
	# shellcheck disable=SC2046 # five numbers, or nothing
	set -- $(echo "$R_LINE" | sed -n \
		's/.*summary \([0-9]*\) tests, \([0-9]*\) failures \([0-9.]*\) iops \([0-9]*\) KB\/s (\(-*[0-9]*\))$/\1 \2 \3 \4 \5/p')
	[ $# = 5 ] || { say "cannot read dmatest's summary: $R_LINE"; return 1; }
	R_TESTS=$1 R_FAIL=$2 R_IOPS=$3 R_KIBS=$4 R_RET=$5
	R_WHY=""
	R_CUT=0
	if [ "$R_FAIL" != 0 ]; then
		# This run's result lines come right before its summary: the last one is this run's.
		R_WHY=$(dmesg | grep "dmatest: $thread: result #" | tail -n 1 | sed 's/^\[[^]]*\] *//')
		case "$R_WHY" in
		*"result #$R_TESTS: 'test timed out'"* | *"result #$R_TESTS: 'completion busy status'"*)
			[ "$R_FAIL" = 1 ] && [ "$polled" = 0 ] && R_CUT=1 ;;
		esac
	fi
	return 0
}

SUMMARIES=$(dmesg | grep -c "dmatest: $thread: summary" || true)
runs=""
skipped=""
failed=""
skiplist=" "
for rep in $(seq 0 $((repeats - 1))); do
	for size in $sizes; do
		for pin in ${dmatest_cpus:-any}; do
			[ "$pin" = any ] && pin=""
			for mode in irq polled; do
				case "$skiplist" in *" $size/$mode "*) continue ;; esac
				polled=0
				[ $mode = polled ] && polled=1
				say "repeat $((rep + 1))/$repeats: size $size, $mode${pin:+, thread on CPU $pin}"
				dmatest_run "$size" $polled "$warmup_cs" "$pin" || die "dmatest's warm-up run failed"
				if [ "$R_RET" = 0 ] && [ "$R_TESTS" -gt "$R_CUT" ] && [ "$R_FAIL" = "$R_CUT" ]; then
					dmatest_run "$size" $polled "$secs_cs" "$pin" || die "dmatest's run failed"
				fi
				# A size that dmatest cannot set up (its buffers are kmalloc()ed: ENOMEM
				# past KMALLOC_MAX_SIZE), or at which every copy fails, is skipped with the
				# reason; some copies failing among others that pass is an error.
				why=""
				if [ "$R_RET" != 0 ]; then
					why="dmatest could not set up a $size-byte copy (error $R_RET): $R_LINE"
				elif [ "$R_TESTS" -le "$R_CUT" ]; then
					why="dmatest completed no copy: $R_LINE"
				elif [ "$R_FAIL" = "$R_TESTS" ]; then
					why="every copy failed: $R_WHY"
				elif [ "$R_FAIL" != "$R_CUT" ]; then
					say "$R_FAIL of $R_TESTS copies failed: $R_WHY"
					failed="$failed${failed:+,}{\"mode\":\"$mode\",\"size\":$size,\"repeat\":$rep,\"reason\":$(json_str "$R_FAIL of $R_TESTS copies failed: $R_WHY")}"
					continue
				fi
				if [ -n "$why" ]; then
					say "skipped: $why"
					skiplist="$skiplist$size/$mode "
					skipped="$skipped${skipped:+,}{\"mode\":\"$mode\",\"size\":$size,\"reason\":$(json_str "$why")}"
					continue
				fi
				runs="$runs${runs:+,
}{\"mode\":\"$mode\",\"size\":$size,\"repeat\":$rep,\"pinned\":${pin:-null},\"tests\":$R_TESTS,\"failures\":$R_FAIL,\"cut\":$R_CUT,\"iops\":$R_IOPS,\"kib_per_s\":$R_KIBS,\"ret\":$R_RET,\"cpus_seen\":[$R_CPUS],\"summary\":$(json_str "$R_LINE")}"
			done
		done
	done
done
irqs=$(grep "$IRQ_NAME" /proc/interrupts | tr -s ' ' || true)
trap - EXIT
release_upstream || die "giving $DEV back to dmacopy failed"

json_list() { echo "$1" | awk '{ for (i = 1; i <= NF; i++) printf "%s%s", (i > 1 ? "," : ""), $i }'; }
echo "DMACOPY-BENCH-OURS-JSON-BEGIN"
cat /tmp/ours.json
echo
echo "DMACOPY-BENCH-OURS-JSON-END"
echo "DMACOPY-BENCH-DMATEST-JSON-BEGIN"
cat <<EOF
{"schema":"dmacopy-dmatest/1",
"board":"$board","device":"$DEV","driver":"$UPSTREAM_DRIVER","channel":"$chan","thread":"$thread",
"uname":$(json_str "$(uname -srm)"),
"settings":{"secs":$secs,"warmup_secs":$warmup,"repeats":$repeats,"sizes":[$(json_list "$sizes")],
"modes":{"irq":{"polled":0},"polled":{"polled":1}},
"params":{"norandom":1,"noverify":1,"iterations":0,"threads_per_chan":1,"max_channels":1},
"cpus":[$(json_list "$dmatest_cpus")],
"stop":"each run is stopped by writing 0 to run after secs; in interrupt mode the copy in flight is cut short and not counted"},
"interrupts":$(json_str "$irqs"),
"runs":[
$runs
],
"skipped":[$skipped],
"failed":[$failed]}
EOF
echo "DMACOPY-BENCH-DMATEST-JSON-END"
[ -z "$failed" ] || die "some dmatest copies failed (listed in \"failed\")"
exit 0
