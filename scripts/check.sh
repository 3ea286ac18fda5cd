#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks of the whole tree, before anything boots (make check; make test runs it first):
#
#   scripts/check.sh [STEP...]      every step, or only the named ones
#   scripts/check.sh --list         the steps' names
#
# Steps (any finding fails its step; a missing tool fails it too, saying what to install):
# - module-clippy    make CLIPPY=1 modules on a copy of the module's sources, with
#                    KRUSTFLAGS=-Dwarnings: a warning of rustc or clippy fails the build (the
#                    kernel's own build only prints them)
# - module-rustfmt   rustfmt --check with the kernel's .rustfmt.toml over src/**/*.rs
# - tools-clippy     cargo clippy --all-targets -- -D warnings in tools/ (host target)
# - tools-fmt        cargo fmt --check in tools/
# - tools-doc        cargo doc --no-deps -p dmacopy with RUSTDOCFLAGS=-Dwarnings
# - shellcheck       shellcheck on every shell script of the tree, found by its #! line
# - uapi             tests/uapi/check.sh: the uapi header standalone as C89...C17 (gcc, clang)
#                    and C++98...C++20 (g++, clang++), -Wall -Wextra -pedantic -Werror, its
#                    layout against the ABI, headers_check.pl and kernel-doc
# - examples         every Documentation/**/*.c compiled with gcc and clang,
#                    -std=c99 -Wall -Wextra -pedantic -Werror against include/uapi
# - checkpatch       the kernel's checkpatch.pl --no-tree -f on our C sources (the kselftest,
#                    tests/uapi, the uapi header, Documentation/**/*.c)
#
# Output is TAP, one line a step ("ok N - step: what" or "not ok N - ..."); a failed step
# follows with its output and the exact command that reproduces it as "# " lines. The last
# line is "check: N passed, N failed". Exits 1 if any step failed. Every step's full output is
# kept in $BUILD/check/STEP.log (and STEP.rc).
#
# Environment (defaults in brackets):
#   KDIR     the kernel build tree for the module's clippy [scripts/build-kernel.sh's, which
#            builds it on first use]
#   KSRC     its source tree (checkpatch.pl, .rustfmt.toml) [KDIR/source, else KDIR]
#   ARCH, LLVM   as the module's build [arm64, -19]
#   BUILD    where the logs and the module's copy go [build]
#   CARGO    [~/.cargo/bin/cargo]
#   GCC, CLANG   the examples' compilers [gcc, clang or clang-19]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

STEPS=(module-clippy module-rustfmt tools-clippy tools-fmt tools-doc shellcheck uapi examples
	checkpatch)

usage() {
	sed -n '3,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
}

want=()
for a in "$@"; do
	case $a in
	-h | --help) usage; exit 0 ;;
	--list) printf '%s\n' "${STEPS[@]}"; exit 0 ;;
	-*) echo "check: unknown option $a (see --help)" >&2; exit 2 ;;
	*)
		[[ " ${STEPS[*]} " == *" $a "* ]] ||
			{ echo "check: unknown step '$a'; steps: ${STEPS[*]}" >&2; exit 2; }
		want+=("$a")
		;;
	esac
done
[ ${#want[@]} -gt 0 ] || want=("${STEPS[@]}")

export PATH="$HOME/.cargo/bin:$PATH"
ARCH=${ARCH:-arm64}
LLVM=${LLVM:--19}
BUILD=${BUILD:-$here/build}
CARGO=${CARGO:-$HOME/.cargo/bin/cargo}
command -v "$CARGO" >/dev/null 2>&1 || CARGO=cargo

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
GCC=${GCC:-gcc}
CLANG=${CLANG:-$(first_of clang clang-19)}

out=$BUILD/check
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The kernel trees: only the steps that need them look them up (the module's clippy needs a
# built tree, which scripts/build-kernel.sh makes on first use: 10 minutes or more).
kdir() {
	if [ -z "${KDIR:-}" ]; then
		KDIR=$(scripts/build-kernel.sh) ||
			{ echo "scripts/build-kernel.sh failed: give KDIR, a kernel build tree with CONFIG_RUST"; return 1; }
	fi
	echo "$KDIR"
}
ksrc() {
	if [ -z "${KSRC:-}" ]; then
		if [ -n "${KDIR:-}" ]; then
			KSRC=$(readlink -f "$KDIR/source" 2>/dev/null || echo "$KDIR")
		else
			KSRC=${DMACOPY_CACHE:-$HOME/.cache/dmacopy}/src/linux-source-7.2
		fi
	fi
	[ -f "$KSRC/scripts/checkpatch.pl" ] ||
		{ echo "no kernel source at $KSRC: run scripts/setup.sh or set KSRC"; return 1; }
	echo "$KSRC"
}

# need COMMAND HINT: fails saying what to do when COMMAND is missing.
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "$1 not found: $2"
	return 1
}

# repro COMMAND...: records the command that reproduces the current step, run from the top of
# the tree, then runs it.
repro() {
	local a line='' q="'\\''"
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./=:,@%+-]+$ ]]; then
			line+=" $a"
		else
			line+=" '${a//\'/$q}'"
		fi
	done
	printf '%s\n' "${line# }" >>"$out/$cur.repro"
	"$@"
}

n=0
failed=0
cur=

# step NAME WHAT FUNCTION: runs one step, its output into $out/NAME.log.
step() {
	local name=$1 what=$2 fn=$3 rc=0
	[[ " ${want[*]} " == *" $name "* ]] || return 0
	n=$((n + 1))
	cur=$name
	rm -f "$out/$name.repro"
	"$fn" >"$out/$name.log" 2>&1 || rc=$?
	echo "$rc" >"$out/$name.rc"
	if [ "$rc" = 0 ]; then
		echo "ok $n - $name: $what"
		return 0
	fi
	failed=$((failed + 1))
	echo "not ok $n - $name: $what"
	sed -e 's/^/# /' "$out/$name.log" | tail -n 60
	echo "# full output: $out/$name.log"
	if [ -s "$out/$name.repro" ]; then
		echo "# reproduce (from $here):"
		sed -e 's/^/#   /' "$out/$name.repro"
	fi
	echo "#   or: scripts/check.sh $name"
}

# --- the module ---------------------------------------------------------------------------

# The module's clippy runs on a copy of its sources: kbuild only lints what it rebuilds, and
# the copy is rebuilt each time without touching the tree's own objects.
module_clippy() {
	local k dir=$out/module
	k=$(kdir) || { echo "$k"; return 1; }
	rm -rf "$dir"
	mkdir -p "$dir"
	{ echo Kbuild; find src include -type f \( -name '*.rs' -o -name '*.[ch]' -o -name Kbuild \); } |
		cpio -pdm --quiet "$dir"
	repro make -C "$k" M="$dir" ARCH="$ARCH" LLVM="$LLVM" CLIPPY=1 KRUSTFLAGS=-Dwarnings modules
}

module_rustfmt() {
	local k files
	k=$(ksrc) || { echo "$k"; return 1; }
	need rustfmt "rustup component add rustfmt" || return 1
	mapfile -t files < <(find src -name '*.rs' | sort)
	repro rustfmt --check --edition 2021 --config-path "$k/.rustfmt.toml" "${files[@]}"
}

# --- the tools ----------------------------------------------------------------------------

tools_clippy() {
	repro "$CARGO" clippy --quiet --manifest-path tools/Cargo.toml --all-targets -- -D warnings
}

tools_fmt() {
	repro "$CARGO" fmt --manifest-path tools/Cargo.toml --check
}

tools_doc() {
	repro env RUSTDOCFLAGS=-Dwarnings "$CARGO" doc --quiet --manifest-path tools/Cargo.toml \
		--no-deps -p dmacopy
}

# --- scripts ------------------------------------------------------------------------------

# Every file of the tree (tracked or new, not ignored) whose first line is a #! of sh, bash,
# dash or ash (directly or through env).
shell_scripts() {
	local f line
	git ls-files -co --exclude-standard | sort | while read -r f; do
		[ -f "$f" ] || continue
		IFS= read -r line <"$f" || true
		[[ $line =~ ^\#!.*[/\ ](ba|da|a)?sh([[:space:]]|$) ]] && echo "$f"
	done
}

shellcheck_all() {
	local files
	need shellcheck "install shellcheck (scripts/setup.sh does)" || return 1
	mapfile -t files < <(shell_scripts)
	[ ${#files[@]} -gt 0 ] || { echo "no shell script found"; return 1; }
	printf 'checking %s\n' "${files[@]}"
	repro shellcheck "${files[@]}"
}

# --- C and C++ ----------------------------------------------------------------------------

uapi() {
	local rc=0
	repro bash tests/uapi/check.sh >"$out/uapi-tap.log" 2>&1 || rc=$?
	cat "$out/uapi-tap.log"
	return "$rc"
}

# Documentation/**/*.c: user-space examples of the ABI, each compiled (not linked) as C99.
doc_sources() {
	git ls-files -co --exclude-standard -- 'Documentation/*.c' 'Documentation/**/*.c' | sort -u
}

examples() {
	local files f cc
	mapfile -t files < <(doc_sources)
	if [ ${#files[@]} = 0 ]; then
		echo "no Documentation/**/*.c yet: nothing to compile"
		return 0
	fi
	for cc in "$GCC" "$CLANG"; do
		need "$cc" "run scripts/setup.sh (it installs the compilers)" || return 1
		for f in "${files[@]}"; do
			repro "$cc" -std=c99 -Wall -Wextra -pedantic -Werror -I include/uapi \
				-fsyntax-only "$f" || return 1
		done
	done
}

# checkpatch's kernel-only rules, which are wrong for user-space test programs:
#   VOLATILE: `volatile sig_atomic_t` is what C requires of a flag a signal handler sets, and
#     a thread that polls a shared flag with no lock needs volatile as well (there is no
#     READ_ONCE in user space);
#   USE_NEGATIVE_ERRNO: user-space helpers return errno values as pthread_* do (positive);
#     checkpatch assumes the kernel's -E convention;
#   PREFER_DEFINED_ATTRIBUTE_MACRO: __maybe_unused, __packed, __aligned, __printf are the
#     kernel's compiler_attributes.h, which user space does not have;
#   STRCPY, STRNCPY, STRLCPY: strscpy does not exist in user space;
#   SPLIT_STRING: kselftest messages printed by ksft_print_msg/TH_LOG and friends that do not
#     fit the line are split; the kernel asks for whole strings so that a message in dmesg can
#     be grepped to its printk, and a test's output is not in dmesg;
CHECKPATCH_IGNORE=VOLATILE,USE_NEGATIVE_ERRNO,PREFER_DEFINED_ATTRIBUTE_MACRO,STRCPY,STRNCPY,STRLCPY,SPLIT_STRING

c_sources() {
	git ls-files -co --exclude-standard -- 'tests/kselftest/dmacopy/*.[ch]' 'tests/uapi/*.c' \
		'tests/uapi/*.cc' 'tests/uapi/*.h' include/uapi/linux/dmacopy.h \
		'Documentation/*.c' 'Documentation/**/*.c' | sort -u
}

checkpatch() {
	local k files
	k=$(ksrc) || { echo "$k"; return 1; }
	need perl "install perl" || return 1
	mapfile -t files < <(c_sources)
	repro perl "$k/scripts/checkpatch.pl" --no-tree --terse --show-types --no-summary \
		--ignore "$CHECKPATCH_IGNORE" -f "${files[@]}"
}

start=$(date +%s)
step module-clippy "make CLIPPY=1 modules, warnings as errors" module_clippy
step module-rustfmt "the kernel's rustfmt check on src/" module_rustfmt
step tools-clippy "cargo clippy --all-targets -D warnings in tools/" tools_clippy
step tools-fmt "cargo fmt --check in tools/" tools_fmt
step tools-doc "cargo doc of the dmacopy crate, warnings as errors" tools_doc
step shellcheck "shellcheck on every shell script" shellcheck_all
step uapi "the uapi header as C and C++ (tests/uapi/check.sh)" uapi
step examples "Documentation's C examples, gcc and clang -std=c99" examples
step checkpatch "checkpatch.pl on the C sources" checkpatch

echo "1..$n"
echo "check: $((n - failed)) passed, $failed failed ($(($(date +%s) - start)) s)"
[ "$failed" = 0 ]
