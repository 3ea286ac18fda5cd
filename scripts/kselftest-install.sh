#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Lays out an installed kselftest tree, as 'make -C tools/testing/selftests install' would, with
# the kernel's own runner and our dmacopy collection:
#   scripts/kselftest-install.sh KSRC DIR
set -euo pipefail

ksrc=$1
out=$2
here=$(cd "$(dirname "$0")/.." && pwd)
sel=$ksrc/tools/testing/selftests
[ -f "$sel/run_kselftest.sh" ] || { echo "no kselftest runner in $sel" >&2; exit 1; }
mkdir -p "$out/kselftest" "$out/dmacopy"
cp "$sel/run_kselftest.sh" "$out/"
cp "$sel"/kselftest/runner.sh "$sel"/kselftest/ktap_helpers.sh "$sel"/kselftest/module.sh "$out/kselftest/"
cp "$here/tests/kselftest/dmacopy/settings" "$out/dmacopy/"
{
	# TEST_GEN_PROGS of the collection's Makefile.
	sed -n 's/^TEST_GEN_PROGS[[:space:]]*:\{0,1\}=[[:space:]]*//p' "$here/tests/kselftest/dmacopy/Makefile" |
		head -n1 | tr ' ' '\n' | sed '/^$/d;s/^/dmacopy:/'
} >"$out/kselftest-list.txt"
