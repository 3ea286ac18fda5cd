#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Lays out an installed kselftest tree, as 'make -C tools/testing/selftests install' would, with
# the kernel's own runner and our dmacopy collection:
#   scripts/kselftest-install.sh KSRC DIR
# The collection's programs must already be built into DIR/dmacopy (make kselftest does that);
# kselftest-list.txt names every program of tests/kselftest/dmacopy/Makefile whose source exists.
set -euo pipefail

die() { printf '[kselftest] error: %s\n' "$*" >&2; exit 1; }

[ $# = 2 ] || die "usage: $0 KSRC DIR"
ksrc=$1
out=$2
here=$(cd "$(dirname "$0")/.." && pwd)
sel=$ksrc/tools/testing/selftests
[ -f "$sel/run_kselftest.sh" ] || die "no kselftest runner in $sel (KSRC=$ksrc)"
mkdir -p "$out/kselftest" "$out/dmacopy"
cp "$sel/run_kselftest.sh" "$out/"
cp "$sel"/kselftest/runner.sh "$sel"/kselftest/ktap_helpers.sh "$sel"/kselftest/module.sh "$out/kselftest/"
cp "$here/tests/kselftest/dmacopy/settings" "$out/dmacopy/"

mapfile -t progs < <(make -s --no-print-directory -C "$here/tests/kselftest/dmacopy" list)
[ ${#progs[@]} -gt 0 ] || die "tests/kselftest/dmacopy/Makefile lists no program"
for p in "${progs[@]}"; do
	[ -x "$out/dmacopy/$p" ] || die "$out/dmacopy/$p is not built; run 'make kselftest'"
done
printf 'dmacopy:%s\n' "${progs[@]}" >"$out/kselftest-list.txt"
