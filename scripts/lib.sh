#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Shell functions shared by scripts/check.sh and tests/uapi/check.sh (sourced, not run).

# first_of NAME...: the first NAME that is a command here, or the first NAME when none is (so
# that the error names the preferred tool).
first_of() {
	local c
	for c in "$@"; do
		if command -v "$c" >/dev/null 2>&1; then
			echo "$c"
			return
		fi
	done
	echo "$1"
}
