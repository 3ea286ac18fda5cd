#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: one boot of the emulated board (scripts/qemu.sh) that measures our copy paths
# (`dmacopy bench`) and the kernel's dmatest on the board's upstream driver (zynqmp_dma on
# versal, bcm2835-dma on rpi3; scripts/bench-guest.sh), then the report
# (scripts/bench-report.py): the table and the targets on the terminal, bench.json, bench.md
# and bench.png in the output directory.
#
#   scripts/bench.sh [--board versal|rpi3] [--out DIR] [--buf-size BYTES] [--secs S]
#                    [--repeats N] [--warmup S] [--sizes LIST] [--dmatest-cpus all|none|LIST]
#                    [--timeout SECS]
#
# --board NAME      the emulated board, as for scripts/qemu.sh (default versal)
# --out DIR         where the results go (default build/bench, on rpi3 build/bench-rpi3)
# --buf-size BYTES  dmacopy's buf_size module parameter (default 4194304: the largest size fits;
#                   above it, the bounce path of issue 9's rows goes through SRC and DST in
#                   pieces of buf_size, and the report says how many)
# --secs S          seconds per timed run, ours and dmatest's (default 1)
# --repeats N       runs of each point (default 3)
# --warmup S        dmatest's warm-up run before each timed run (default 0.1)
# --sizes LIST      bytes per copy, comma-separated (default 64 B to 4 MiB, as `dmacopy bench`;
#                   on rpi3 multiples of 4, the BCM2835's DMA alignment)
# --dmatest-cpus C  the CPUs dmatest's thread is pinned to in turn, a row per CPU: all (the
#                   default), none (not pinned), or a list (0,1)
# --timeout SECS    wall-clock limit of the boot (default 1800)
#
# Also in DIR: console.log (the guest's console), guest.out (its output), ours.json and
# dmatest.json (what the guest printed). Exit status: 0 when the run is complete, whether or
# not the targets are met; 1 when the run failed (guest error, kernel report, verification
# failure, missing data); 2 on a usage error.
#
# Environment: KDIR, MODULE, CLI, BUILD, QEMU as for scripts/qemu.sh.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
board=versal
out=""
buf_size=4194304
secs=1
repeats=3
warmup=0.1
sizes=""
dmatest_cpus=all
limit=1800

die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }
usage() { printf '[bench] %s (see --help)\n' "$*" >&2; exit 2; }
say() { printf '[bench] %s\n' "$*" >&2; }

while [ $# -gt 0 ]; do
	case "$1" in
	--board) board=$2; shift ;;
	--out) out=$2; shift ;;
	--buf-size) buf_size=$2; shift ;;
	--secs) secs=$2; shift ;;
	--repeats) repeats=$2; shift ;;
	--warmup) warmup=$2; shift ;;
	--sizes) sizes=$2; shift ;;
	--dmatest-cpus) dmatest_cpus=$2; shift ;;
	--timeout) limit=$2; shift ;;
	-h|--help) sed -n '4,/^set -euo/{/^set -euo/d;p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) usage "unknown argument '$1'" ;;
	esac
	shift
done
case "$board" in
versal) align=1 ;;
rpi3) align=4 ;;
*) usage "--board: unknown board '$board' (versal or rpi3)" ;;
esac
[ -n "$out" ] || out=$BUILD/bench$([ "$board" = versal ] || echo "-$board")
[[ $buf_size =~ ^[1-9][0-9]*$ ]] || usage "--buf-size wants a number of bytes, not '$buf_size'"
# is_secs S: S is a decimal number of seconds above 0 (1, 0.5, .25).
is_secs() { [[ $1 =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ && $1 =~ [1-9] ]]; }
is_secs "$secs" || usage "--secs wants seconds above 0 (1, 0.5), not '$secs'"
is_secs "$warmup" || usage "--warmup wants seconds above 0 (0.1), not '$warmup'"
[[ $repeats =~ ^[1-9][0-9]*$ ]] || usage "--repeats wants a whole number above 0, not '$repeats'"
[[ $limit =~ ^[1-9][0-9]*$ ]] || usage "--timeout wants whole seconds, not '$limit'"
if [ -n "$sizes" ]; then
	[[ $sizes =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] ||
		usage "--sizes wants bytes separated by commas (64,4096,65536), not '$sizes'"
	for s in ${sizes//,/ }; do
		[ $((s % align)) = 0 ] ||
			usage "--sizes: $s is not a multiple of $align (the DMA alignment on $board)"
		[ "$s" -le "$buf_size" ] || say "note: $s B is above buf_size: dmacopy bench skips it, dmatest runs it"
	done
fi

mkdir -p "$BUILD" "$out"
[[ $dmatest_cpus =~ ^(all|none|[0-9]+(,[0-9]+)*)$ ]] ||
	usage "--dmatest-cpus wants all, none, or CPU numbers separated by commas (0,1), not '$dmatest_cpus'"

# The report's maths first: a mistake there would waste the whole run.
"$top/scripts/bench-report.py" --self-test >"$BUILD/bench-self-test.log" 2>&1 ||
	{ cat "$BUILD/bench-self-test.log" >&2; die "scripts/bench-report.py --self-test failed"; }

rm -f "$out"/{ours.json,dmatest.json,guest.out,bench.json,bench.md,bench.png}
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
start=$(date +%s)
guest_args="--board $board --secs $secs --repeats $repeats --warmup $warmup${sizes:+ --sizes $sizes}"
guest_args+=" --dmatest-cpus $dmatest_cpus"
upstream=zynqmp_dma
[ "$board" = versal ] || upstream=bcm2835-dma
say "one boot of $board: dmacopy bench, then dmatest on $upstream ($guest_args; buf_size=$buf_size)"
: >"$out/console.log"
"$top/scripts/qemu.sh" --board "$board" --add "$top/scripts/bench-guest.sh" --module-args "buf_size=$buf_size" \
	--log "$out/console.log" --timeout "$limit" \
	--exec "bench-guest.sh $guest_args" >"$out/guest.out" &
qemu_pid=$!
# Progress while it runs: the guest's lines from the console, up to the results (tail ends
# within a second of scripts/qemu.sh).
tail -n +1 -F --pid=$qemu_pid "$out/console.log" 2>/dev/null | tr -d '\r' |
	awk '/^DMACOPY-BENCH-OURS-JSON-BEGIN$/ { exit } on && NF { print "  " $0; fflush() }
	     /^DMACOPY-BEGIN$/ { on = 1 }' || true
rc=0
wait $qemu_pid || rc=$?
say "the boot took $(( $(date +%s) - start ))s"

# extract NAME FILE: the lines between DMACOPY-BENCH-NAME-JSON-BEGIN and -END.
extract() {
	sed -n "/^DMACOPY-BENCH-$1-JSON-BEGIN\$/,/^DMACOPY-BENCH-$1-JSON-END\$/{//!p}" \
		"$out/guest.out" >"$2"
	[ -s "$2" ] || return 1
}
if [ $rc != 0 ]; then
	grep -v '^[{}" \[]' "$out/guest.out" | tail -n 30 >&2 || true
	die "the guest run failed (scripts/qemu.sh exit status $rc; console: $out/console.log)"
fi
extract OURS "$out/ours.json" || die "the guest printed no result of dmacopy bench (see $out/guest.out)"
extract DMATEST "$out/dmatest.json" || die "the guest printed no dmatest result (see $out/guest.out)"

"$top/scripts/bench-report.py" --ours "$out/ours.json" --dmatest "$out/dmatest.json" \
	--out-dir "$out" --date "$date" --qemu "${QEMU:-qemu-system-aarch64}" \
	--console "$out/console.log" ||
	die "the report failed (above); the guest's output is in $out"
say "make bench took $(( $(date +%s) - start ))s in all"
