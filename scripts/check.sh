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

# shellcheck source=scripts/lib.sh
. "$here/scripts/lib.sh"
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
# the tree, then runs it. note_repro only records it.
repro() {
	note_repro "$@"
	"$@"
}
note_repro() {
	local a line='' q="'\\''"
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./=:,@%+-]+$ ]]; then
			line+=" $a"
		else
			line+=" '${a//\'/$q}'"
		fi
	done
	printf '%s\n' "${line# }" >>"$out/$cur.repro"
}

n=0
failed=0
cur=

# step NAME WHAT FUNCTION: runs one step, its output into $out/NAME.log.
step() {
	local name=$1 what=$2 fn=$3 rc=0 t0
	[[ " ${want[*]} " == *" $name "* ]] || return 0
	n=$((n + 1))
	cur=$name
	rm -f "$out/$name.repro"
	t0=$(date +%s)
	"$fn" >"$out/$name.log" 2>&1 || rc=$?
	echo "$rc" >"$out/$name.rc"
	if [ "$rc" = 0 ]; then
		echo "ok $n - $name: $what"
		echo "# $(($(date +%s) - t0)) s"
		return 0
	fi
	failed=$((failed + 1))
	echo "not ok $n - $name: $what"
	echo "# $(($(date +%s) - t0)) s"
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
	repro rustfmt --check --color never --edition 2021 --config-path "$k/.rustfmt.toml" \
		"${files[@]}"
}

# --- the tools ----------------------------------------------------------------------------

tools_clippy() {
	repro "$CARGO" clippy --quiet --manifest-path tools/Cargo.toml --all-targets -- -D warnings
}

tools_fmt() {
	repro "$CARGO" fmt --all --manifest-path tools/Cargo.toml --check -- --color never
}

tools_doc() {
	repro env RUSTDOCFLAGS=-Dwarnings "$CARGO" doc --quiet --manifest-path tools/Cargo.toml \
		--no-deps -p dmacopy
}

# --- scripts ------------------------------------------------------------------------------

# The tree's files: in a git checkout those git tracks and the new ones it does not ignore;
# elsewhere (an unpacked tarball) every file but the build products.
tree_files() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -co --exclude-standard
	else
		find . -path ./.git -prune -o -path ./build -prune -o -path ./tools/target -prune -o \
			-type f -print | sed -e 's|^\./||'
	fi | sort -u
}

# Every file of the tree whose first line is a #! of sh, bash, dash or ash (directly or
# through env).
shell_scripts() {
	local f line
	tree_files | while read -r f; do
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
	tree_files | grep -E '^Documentation/.*\.c$' || true
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

# checkpatch's kernel-only rules, which are wrong for user-space test programs (every other
# rule applies, at checkpatch's default level):
#   VOLATILE: `volatile sig_atomic_t` is what C requires of a flag that a signal handler sets,
#     a local that must survive siglongjmp must be volatile too, and so must the reads and
#     writes of a device's mmap()ed window (the DMA engine writes it behind the compiler's
#     back); the kernel has READ_ONCE and the device-memory accessors instead, user space not;
#   USE_NEGATIVE_ERRNO: the kernel returns -E...; the tests' helpers return 0 or a positive
#     errno value, as pthread_*() and posix_*() do;
#   SPLIT_STRING: the kernel keeps a printk's format in one piece so that a line of dmesg can
#     be grepped back to its source; a test's diagnostics go to its own output, and the
#     kselftest messages that do not fit the line are split (at a space, which the
#     MISSING_SPACE rule still checks).
CHECKPATCH_IGNORE=VOLATILE,USE_NEGATIVE_ERRNO,SPLIT_STRING

# Findings that are checkpatch misreading a construct, each matched by file, type and the text
# of the line it names followed by " ⏎ " and the next line (FILE-REGEX TYPE TEXT-REGEX), and
# why the code is right:
#   the kselftest harness's FIXTURE_DATA(name) is a type (struct _test_data_name), which
#     checkpatch takes for a call, so `FIXTURE_DATA(name) *self` reads as a product;
#   tests/uapi/include.c is compiled as C89 (-pedantic), where a // comment is an error, so its
#     SPDX line is a /* */ one as in a header;
#   tests/uapi/layout.c's and abi.h's macros are X-macros: abi.h's lists expand their entries
#     back to back (they cannot be parenthesized), and each entry of layout.c becomes one or
#     more file-scope _Static_assert declarations, or calls in main(), that must end in their
#     own semicolon (a do-while cannot stand at file scope);
#   the harness's ASSERT_*() and EXPECT_*() (and ours built on them, ASSERT_ENTRY_OK()) are two
#     statements each (a do-while, then the for loop that runs the TH_LOG() after them), so an
#     if, else or for whose body is one of them needs its braces (without them only the first
#     half is conditional, and an else binds to the wrong if), and a macro made of one needs
#     its do-while;
#   PREFER_DEFINED_ATTRIBUTE_MACRO wants the kernel's noinline and __always_inline, which user
#     space does not have (kselftest.h gives __printf() and __maybe_unused, which we use);
#   NEED_*() and CAP_SKIP_*() in the kselftest programs are a test's precondition: they wrap
#     the harness's SKIP(), whose first argument is the statement (a return) that ends the
#     test, as the harness's own ASSERT_*() do.
CHECKPATCH_FALSE=(
	'.*' SPACING 'FIXTURE_DATA\([a-z_0-9]+\) \*'
	'^tests/uapi/include\.c$' SPDX_LICENSE_TAG '^/\* SPDX-License-Identifier: GPL-2\.0 \*/ ⏎'
	'^tests/uapi/layout\.c$' TRAILING_SEMICOLON '^#define [A-Z]+_(ASSERT|CHECK)\('
	'^tests/uapi/layout\.c$' MULTISTATEMENT_MACRO_USE_DO_WHILE '^#define [A-Z]+_(ASSERT|CHECK)\('
	'^tests/uapi/abi\.h$' COMPLEX_MACRO '^#define DMACOPY_ABI_[A-Z]+\('
	'^tests/kselftest/dmacopy/' BRACES '\{ ⏎ *(ASSERT|EXPECT)_[A-Z_]+\('
	'^tests/kselftest/dmacopy/' PREFER_DEFINED_ATTRIBUTE_MACRO '__attribute__\(\((noinline|always_inline)\)\)'
	'^tests/kselftest/dmacopy/' SINGLE_STATEMENT_DO_WHILE_MACRO 'do \{ \\ ⏎ *(ASSERT|EXPECT)_[A-Z_]+\('
	'^tests/kselftest/dmacopy/' MACRO_WITH_FLOW_CONTROL '^#define (NEED_[A-Z]+|CAP_SKIP_[A-Z_]+)\('
)

c_sources() {
	tree_files | grep -E '^(src/[^/]*\.[ch]|tests/kselftest/dmacopy/[^/]*\.[ch]|tests/uapi/[^/]*\.(c|cc|h)|include/uapi/linux/dmacopy\.h|Documentation/.*\.c)$'
}

# Prints the findings of checkpatch's terse output (FILE:LINE: TYPE:NAME: text) that no entry
# of CHECKPATCH_FALSE explains; the explained ones go to $out/checkpatch-false.log.
checkpatch_filter() {
	local f l rest type text i false
	: >"$out/checkpatch-false.log"
	while IFS= read -r line; do
		if ! [[ $line =~ ^([^:]+):([0-9]+):\ (ERROR|WARNING|CHECK):([A-Z0-9_]+): ]]; then
			echo "$line"
			continue
		fi
		f=${BASH_REMATCH[1]} l=${BASH_REMATCH[2]} type=${BASH_REMATCH[4]}
		# the line, and the next one after a ⏎ (a brace's body)
		text=$(sed -n "${l}p;$((l + 1)){s/^[[:space:]]*/ ⏎ /;p}" "$f" | tr -d '\n')
		false=0
		for ((i = 0; i < ${#CHECKPATCH_FALSE[@]}; i += 3)); do
			if [[ $f =~ ${CHECKPATCH_FALSE[i]} && $type == "${CHECKPATCH_FALSE[i + 1]}" &&
				$text =~ ${CHECKPATCH_FALSE[i + 2]} ]]; then
				false=1
				break
			fi
		done
		if [ $false = 1 ]; then
			printf '%s\n\t%s\n' "$line" "${text%% ⏎ *}" >>"$out/checkpatch-false.log"
		else
			echo "$line"
		fi
	done
}

checkpatch() {
	local k files rc=0 left
	k=$(ksrc) || { echo "$k"; return 1; }
	need perl "install perl" || return 1
	mapfile -t files < <(c_sources)
	local cp=(perl "$k/scripts/checkpatch.pl" --no-tree --terse --show-types --no-summary
		--ignore "$CHECKPATCH_IGNORE" -f)
	# One file a process, as many at a time as there are CPUs (the largest takes a minute);
	# the same findings as the one command recorded.
	note_repro "${cp[@]}" "${files[@]}"
	printf '%s\0' "${files[@]}" | xargs -0 -n 1 -P "$(nproc)" "${cp[@]}" \
		>"$out/checkpatch-all.log" 2>&1 || rc=$?
	sort -t: -k1,1 -k2,2n -o "$out/checkpatch-all.log" "$out/checkpatch-all.log"
	left=$(checkpatch_filter <"$out/checkpatch-all.log")
	echo "checkpatch on ${#files[@]} files: exit status $rc," \
		"$(grep -c . "$out/checkpatch-false.log" | awk '{print $1 / 2}') misreadings set aside" \
		"(CHECKPATCH_FALSE in scripts/check.sh; listed in $out/checkpatch-false.log)"
	if [ -n "$left" ]; then
		echo "$left"
		echo "(checkpatch itself, run as below, also shows the misreadings set aside)"
		return 1
	fi
	# checkpatch fails only on findings: with none left, any other failure is its own.
	[ "$rc" = 0 ] || grep -q . "$out/checkpatch-false.log" ||
		{ echo "checkpatch failed with no finding:"; cat "$out/checkpatch-all.log"; return 1; }
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
