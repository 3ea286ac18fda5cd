#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of include/uapi/linux/dmacopy.h, the user-space ABI header.
#
#   tests/uapi/check.sh
#
# Checks that the header
#   - is a clean uapi header: SPDX with Linux-syscall-note, struct fields of
#     __u32/__u64 (char only for text), no pointers, no _Static_assert, only
#     <linux/ioctl.h> and <linux/types.h>; the kernel's headers_check.pl and
#     kernel-doc -Wall accept it;
#   - compiles, included twice and with every name used (include.c), with no
#     libc (-nostdinc, as the kernel's header test does), under
#     -Wall -Wextra -pedantic -Wpadded -Werror as C89 ... C17 (gcc, clang)
#     and C++98 ... C++20 (g++, clang++), and with the arm64 cross compiler;
#   - matches the ABI's literal sizes, offsets, field types, constants and
#     ioctl numbers (abi.h): layout.c (C11) and layout.cc (C++11) assert them
#     at compile time and again when run here; layout.c also on -m32 and arm64;
#   - and that those checks can fail: each of a few wrong copies of the header
#     must be rejected by both layout.c and layout.cc.
#
# Output is TAP: "ok N - name" or "not ok N - name", each followed by what
# the test printed as "# " lines, then "1..N". Exits 1 if any test failed.
#
# Environment (defaults in brackets):
#   GCC, GXX, CLANG, CLANGXX  host compilers [gcc, g++, clang or clang-19,
#                             clang++ or clang++-19]
#   CROSS_CC                  the target's C compiler [aarch64-linux-gnu-gcc]
#   KSRC                      kernel source, for headers_check.pl and
#                             kernel-doc [$DMACOPY_CACHE/src/linux-source-7.2,
#                             DMACOPY_CACHE defaulting to ~/.cache/dmacopy]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
uapi=$(cd "$here/../../include/uapi" && pwd)
header=$uapi/linux/dmacopy.h

# shellcheck source=scripts/lib.sh
. "$here/../../scripts/lib.sh"

GCC=${GCC:-gcc}
GXX=${GXX:-g++}
CLANG=${CLANG:-$(first_of clang clang-19)}
CLANGXX=${CLANGXX:-$(first_of clang++ clang++-19)}
CROSS_CC=${CROSS_CC:-aarch64-linux-gnu-gcc}
KSRC=${KSRC:-${DMACOPY_CACHE:-$HOME/.cache/dmacopy}/src/linux-source-7.2}

WARN=(-Wall -Wextra -pedantic -Werror)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0

# t NAME COMMAND...: runs one test and shows its output as TAP comments.
t() {
	local name=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		failed=$((failed + 1))
	fi
	sed -e 's/^/# /' "$tmp/out" | head -n 40
}

# need COMMAND HINT: fails with a message that says what to do if COMMAND is
# missing.
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "$1 not found: $2"
	return 1
}

# uapi_sysroot CC DIR: fills DIR with links to the linux/, asm/ and
# asm-generic/ uapi headers that CC uses, and nothing else, so that
# -nostdinc -isystem DIR compiles against the kernel's uapi and no libc.
uapi_sysroot() {
	local cc=$1 dir=$2 d f
	[ -d "$dir" ] && return 0
	mkdir -p "$dir"
	for d in linux asm asm-generic; do
		f=$(printf '#include <%s/types.h>\n' "$d" |
			"$cc" -E -x c - 2>/dev/null |
			sed -n -e "s|^# [0-9]* \"\(/.*/$d/types\.h\)\".*|\1|p" |
			head -n 1)
		if [ -z "$f" ]; then
			echo "$cc finds no <$d/types.h>: install the kernel's uapi headers (linux-libc-dev)"
			rm -rf "$dir"
			return 1
		fi
		ln -s "$(dirname "$f")" "$dir/$d"
	done
}

# --- the header's text ---------------------------------------------------

check_spdx() {
	local want='/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */'
	local got
	got=$(head -n 1 "$header")
	[ "$got" = "$want" ] || { echo "first line: $got"; echo "want:       $want"; return 1; }
}

# The header without comments: every struct field is __u32 or __u64 (or an
# array of them, or a char array for text), there is no pointer and no
# _Static_assert, and only <linux/ioctl.h> and <linux/types.h> are included.
check_text() {
	need "$GCC" "install gcc" || return 1
	"$GCC" -fpreprocessed -dD -E -P -x c "$header" >"$tmp/bare.h"
	awk '
		/^struct dmacopy_[a-z_]+ \{$/ { inside = 1; structs++; next }
		inside && /^\};$/ { inside = 0; next }
		inside && !/^[ \t]*(__u32|__u64) [a-z_]+(\[[A-Z0-9_]+\])?;$/ &&
			  !/^[ \t]*char [a-z_]+\[[A-Z0-9_]+\];$/ {
			print "not a __u32/__u64 field: " $0; bad = 1
		}
		/\*/ { print "a pointer or a product: " $0; bad = 1 }
		/static_assert|_Static_assert/ { print "an assert: " $0; bad = 1 }
		/^#[ \t]*include/ && !/^#[ \t]*include <linux\/(ioctl|types)\.h>$/ {
			print "an include: " $0; bad = 1
		}
		END {
			if (structs != 4) { print structs " structs, want 4"; bad = 1 }
			exit bad
		}
	' "$tmp/bare.h"
}

check_headers_check() {
	[ -f "$KSRC/usr/include/headers_check.pl" ] ||
		{ echo "no kernel source at $KSRC: run scripts/setup.sh or set KSRC"; return 1; }
	need perl "install perl" || return 1
	uapi_sysroot "$GCC" "$tmp/sys-host" || return 1
	perl "$KSRC/usr/include/headers_check.pl" "$tmp/sys-host" "$header"
}

check_kernel_doc() {
	[ -x "$KSRC/scripts/kernel-doc" ] ||
		{ echo "no kernel source at $KSRC: run scripts/setup.sh or set KSRC"; return 1; }
	local out
	out=$("$KSRC/scripts/kernel-doc" -none -Wall -Werror "$header" 2>&1) || { echo "$out"; return 1; }
	[ -z "$out" ] || { echo "$out"; return 1; }
}

t "header: SPDX line with Linux-syscall-note" check_spdx
t "header: __u32/__u64 fields, no pointers, no asserts, uapi includes only" check_text
t "header: kernel headers_check.pl" check_headers_check
t "header: kernel-doc -Wall -Werror" check_kernel_doc

# --- include.c: every dialect, no libc -----------------------------------

# include LANG CC SYSROOT-NAME STD...: compiles include.c once per standard.
include() {
	local lang=$1 cc=$2 sys=$3 std
	shift 3
	for std in "$@"; do
		t "include: $cc -x $lang -std=$std" compile_include "$lang" "$cc" "$sys" "$std"
	done
}

compile_include() {
	local lang=$1 cc=$2 sys=$3 std=$4
	need "$cc" "run scripts/setup.sh (it installs the compilers)" || return 1
	uapi_sysroot "$cc" "$tmp/$sys" || return 1
	"$cc" -x "$lang" -std="$std" "${WARN[@]}" -Wpadded -nostdinc \
		-I "$uapi" -isystem "$tmp/$sys" -c -o "$tmp/include.o" "$here/include.c"
}

include c "$GCC" sys-host c89 gnu89 c99 c11 c17
include c "$CLANG" sys-host c89 c99 c11 c17
include c++ "$GXX" sys-host c++98 c++11 c++17 c++20
include c++ "$CLANGXX" sys-host c++98 c++11 c++17
include c "$CROSS_CC" sys-cross c99

# --- layout.c / layout.cc: the ABI's literal values ----------------------

# layout_run CC SOURCE STD: builds the layout check for the host and runs it.
layout_run() {
	local cc=$1 src=$2 std=$3
	need "$cc" "run scripts/setup.sh (it installs the compilers)" || return 1
	"$cc" -std="$std" "${WARN[@]}" -I "$uapi" -o "$tmp/layout" "$here/$src"
	"$tmp/layout"
}

# layout_static CC STD ARGS...: compile-time checks only, for targets that
# cannot run here.
layout_static() {
	local cc=$1 std=$2
	shift 2
	need "$cc" "run scripts/setup.sh (it installs the compilers)" || return 1
	"$cc" -std="$std" "${WARN[@]}" -DLAYOUT_STATIC_ONLY -I "$uapi" "$@" \
		-fsyntax-only "$here/layout.c"
}

t "layout: $GCC -std=c11, built and run" layout_run "$GCC" layout.c c11
t "layout: $CLANG -std=c11, built and run" layout_run "$CLANG" layout.c c11
t "layout: $GXX -std=c++11, built and run" layout_run "$GXX" layout.cc c++11
t "layout: $CLANGXX -std=c++11, built and run" layout_run "$CLANGXX" layout.cc c++11

# 32-bit x86: __u64 is only 4-byte aligned there, so any implicit padding
# would move a field. The host's uapi asm headers serve both word sizes.
layout_m32() {
	uapi_sysroot "$GCC" "$tmp/sys-host" || return 1
	layout_static "$GCC" c11 -m32 -idirafter "$tmp/sys-host"
}
t "layout: $GCC -m32 -std=c11, compile-time" layout_m32
t "layout: $CROSS_CC -std=c11, compile-time" layout_static "$CROSS_CC" c11

# --- the checks can fail -------------------------------------------------

# reject NAME SED-EXPRESSION: a copy of the header changed by the expression
# must fail both layout checks on a static assertion.
reject() {
	local expr=$1 dir=$tmp/wrong
	rm -rf "$dir"
	mkdir -p "$dir/linux"
	sed -e "$expr" "$header" >"$dir/linux/dmacopy.h"
	if cmp -s "$header" "$dir/linux/dmacopy.h"; then
		echo "the expression $expr changes nothing in the header"
		return 1
	fi
	if "$GCC" -std=c11 -I "$dir" -fsyntax-only "$here/layout.c" >"$tmp/c.err" 2>&1; then
		echo "layout.c accepts the changed header"
		return 1
	fi
	if "$GXX" -std=c++11 -I "$dir" -fsyntax-only "$here/layout.cc" >"$tmp/cc.err" 2>&1; then
		echo "layout.cc accepts the changed header"
		return 1
	fi
	grep -qi 'static.assert' "$tmp/c.err" ||
		{ echo "layout.c failed for another reason:"; cat "$tmp/c.err"; return 1; }
	grep -qi 'static.assert' "$tmp/cc.err" ||
		{ echo "layout.cc failed for another reason:"; cat "$tmp/cc.err"; return 1; }
}

t "reject: a field type (batch.count __u64)" reject 's/__u32 count;/__u64 count;/'
t "reject: a field's signedness (info.caps __s32)" reject 's/__u32 caps;/__s32 caps;/'
t "reject: two fields swapped (info.irq, info.align)" \
	reject 's/__u32 irq;/__u32 IRQ;/; s/__u32 align;/__u32 irq;/; s/__u32 IRQ;/__u32 align;/'
t "reject: a struct size (info.reserved[3])" reject 's/__u64 reserved\[4\];/__u64 reserved[3];/'
t "reject: an ioctl number (COPY_BATCH nr 4)" reject 's/0x03, struct dmacopy_batch/0x04, struct dmacopy_batch/'
t "reject: an ioctl direction (INFO _IOW)" reject 's/_IOR(DMACOPY_IOC_MAGIC, 0x00/_IOW(DMACOPY_IOC_MAGIC, 0x00/'
t "reject: a constant (CAP_BATCH 1 << 4)" reject 's/(1U << 3)/(1U << 4)/'

echo "1..$n"
[ "$failed" -eq 0 ]
