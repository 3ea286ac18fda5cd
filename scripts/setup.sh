#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs everything dmacopy needs on a Debian bookworm host and fetches the
# kernel source and the guest's busybox into the cache. Idempotent: every step
# checks first and costs nothing when its result is already there.
#
# As root it installs; otherwise it prints the exact commands to run as root.
#
# Environment: DMACOPY_CACHE (default ~/.cache/dmacopy).
set -euo pipefail

CACHE=${DMACOPY_CACHE:-$HOME/.cache/dmacopy}
KVER_MAJOR=7.2
BINDGEN_VERSION=0.72.1
LLVM_VER=19
# make check (scripts/check.sh): gcc, g++ and clang compile the uapi header as C and C++
# (tests/uapi) and Documentation's C examples; the scripts go through shellcheck; perl runs
# the kernel's checkpatch.pl and headers_check.pl; git lists the tree's files.
# python3-matplotlib draws `make bench`'s plot (scripts/bench-report.py).
PKGS=("clang-$LLVM_VER" "lld-$LLVM_VER" "llvm-$LLVM_VER" "libclang-$LLVM_VER-dev"
      flex bison bc make gcc g++ libelf-dev libssl-dev cpio xz-utils qemu-system-arm
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross linux-libc-dev python3 python3-matplotlib
      shellcheck perl git)

say() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

export PATH="$HOME/.cargo/bin:$PATH"
start=$(date +%s)
is_root=0
[ "$(id -u)" = 0 ] && is_root=1

# --- Debian packages ----------------------------------------------------------
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ $is_root = 0 ]; then
		die "missing packages; run as root: apt-get update && apt-get install -y ${missing[*]}"
	fi
	say "first run: installing ${#missing[@]} Debian packages, fetching bindgen and the"
	say "Linux $KVER_MAJOR source, then building the kernel: about 15 minutes in all."
	say "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Rust toolchain pieces ----------------------------------------------------
command -v rustup >/dev/null || die "rustup not found; install Rust with rustup (https://rustup.rs) first"
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	say "rustup component add rust-src"
	rustup component add rust-src
fi
# clippy and rustfmt: make check runs them on the module (CLIPPY=1, the kernel's rustfmt
# check) and on the tools, all with the one default toolchain.
for c in clippy rustfmt; do
	if ! rustup component list --installed 2>/dev/null | grep -q "^$c"; then
		say "rustup component add $c"
		rustup component add "$c"
	fi
done
if ! rustup target list --installed 2>/dev/null | grep -q '^aarch64-unknown-linux-musl$'; then
	say "rustup target add aarch64-unknown-linux-musl"
	rustup target add aarch64-unknown-linux-musl
fi
if ! bindgen --version 2>/dev/null | grep -q " $BINDGEN_VERSION\$"; then
	say "cargo install bindgen-cli $BINDGEN_VERSION (about 2.5 minutes)"
	LIBCLANG_PATH=/usr/lib/llvm-$LLVM_VER/lib \
		cargo install bindgen-cli --version "$BINDGEN_VERSION" --locked --quiet
fi

# --- Private apt configuration (never touches the system's sources) -----------
debian_mirror() {
	local m=""
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		m=$(awk '/^URIs:/ {print $2}' /etc/apt/sources.list.d/debian.sources | grep -v security | head -n1)
	fi
	if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
		m=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
	fi
	[ -n "$m" ] || die "cannot find the Debian mirror in /etc/apt/sources.list{,.d}"
	echo "$m"
}

# private_apt DIR ARCH SUITES...: prints the apt options for a private state dir
private_apt() {
	local d=$1 arch=$2; shift 2
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	local m; m=$(debian_mirror)
	: >"$d/sources.list"
	for s in "$@"; do printf 'deb %s %s main\n' "$m" "$s" >>"$d/sources.list"; done
	printf '%s\n' -o "Dir::Etc::sourcelist=$d/sources.list" -o Dir::Etc::sourceparts=/nonexistent \
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache" \
		-o "APT::Architecture=$arch" -o "APT::Architectures=$arch" \
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root
}

mkdir -p "$CACHE"

# --- Linux 7.2 source ---------------------------------------------------------
if ! ls -d "$CACHE"/src/linux-source-$KVER_MAJOR/Makefile >/dev/null 2>&1; then
	say "fetching Debian's linux-source-$KVER_MAJOR (about 160 MB)"
	d=$CACHE/apt-kernel
	mapfile -t A < <(private_apt "$d" amd64 trixie-backports sid)
	apt-get "${A[@]}" update -qq
	tmp=$(mktemp -d "$CACHE/dl.XXXXXX")
	(cd "$tmp" && apt-get "${A[@]}" download -qq linux-source-$KVER_MAJOR)
	deb=$(ls "$tmp"/linux-source-${KVER_MAJOR}_*.deb)
	say "unpacking $(basename "$deb")"
	dpkg-deb -x "$deb" "$tmp/x"
	mkdir -p "$CACHE/src"
	rm -rf "$CACHE/src/linux-source-$KVER_MAJOR"
	tar -C "$CACHE/src" -xf "$tmp"/x/usr/src/linux-source-$KVER_MAJOR.tar.xz
	basename "$deb" >"$CACHE/src/linux-source-$KVER_MAJOR/.debian-package"
	rm -rf "$tmp"
fi
say "kernel source: $(cat "$CACHE/src/linux-source-$KVER_MAJOR/.debian-package")"

# --- busybox for the arm64 guest ----------------------------------------------
if [ ! -x "$CACHE/busybox/bin/busybox" ]; then
	say "fetching Debian's arm64 busybox-static"
	d=$CACHE/apt-arm64
	mapfile -t A < <(private_apt "$d" arm64 bookworm)
	apt-get "${A[@]}" update -qq
	tmp=$(mktemp -d "$CACHE/dl.XXXXXX")
	(cd "$tmp" && apt-get "${A[@]}" download -qq busybox-static)
	dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/x"
	mkdir -p "$CACHE/busybox/bin"
	cp "$tmp/x/bin/busybox" "$CACHE/busybox/bin/busybox"
	rm -rf "$tmp"
fi

el=$(( $(date +%s) - start ))
[ $el -gt 5 ] && say "set-up done in ${el}s"
exit 0
