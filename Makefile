# SPDX-License-Identifier: GPL-2.0
#
# dmacopy: build the module, the user-space tools and the kselftest, and run them on the
# emulated boards.
#
#   make              build dmacopy.ko (against the cached kernel, set up on first use)
#   make run          boot the emulated board, load the module, copy by DMA and by CPU
#   make check        static checks, nothing booted: clippy and rustfmt on the module and the
#                     tools, shellcheck, the uapi header as C and C++, checkpatch.pl on the C
#                     sources (scripts/check.sh; any finding fails it)
#   make test         make check, host tests, then the kselftest on every emulated board
#                     (TEST_BOARDS), each on the normal kernel and on the debug kernel (KASAN,
#                     lockdep, kmemleak, ...)
#   make shell        an interactive shell on the emulated board, module loaded
#   make bench        one boot: our copy paths against the kernel's dmatest on the upstream
#                     driver; table and targets on the terminal, JSON, Markdown and a plot
#                     in build/bench/ (BENCH_SECS=0.2 BENCH_REPEATS=1 for a quick try)
#
# The board of run, shell and bench: BOARD=versal (the default: QEMU xlnx-versal-virt, the
# ZynqMP/Versal ZDMA) or BOARD=rpi3 (QEMU raspi3b, the Raspberry Pi 3's BCM2835 DMA), e.g.
# `make run BOARD=rpi3`. One kernel boots both.
#   make prepare      set the machine up and build both cached kernels
#   make clean        remove build products (the kernel cache stays)
#   make modules_install   install dmacopy.ko into the kernel tree's module directory
#   make install-tools     install the dmacopy CLI (arm64), its man pages and shell completions
#                     under DESTDIR/PREFIX (default /usr/local)
#
# Building for a real board's kernel tree (configured with CONFIG_RUST):
#   make KDIR=/path/to/kernel/build ARCH=arm64 LLVM=1
# `make test` with KDIR also needs KDIR_DEBUG, the debug kernel's build directory.

ARCH ?= arm64
LLVM ?= -19
BOARD ?= versal
BOARDS := versal rpi3
TEST_BOARDS ?= $(BOARDS)
# The boards whose kselftest also runs on the debug kernel: all of them (rpi3 with its own
# scaling, DEBUG_SCALE_ENV_rpi3 below).
TEST_BOARDS_DEBUG ?= $(BOARDS)
ifneq ($(filter-out $(BOARDS),$(BOARD) $(TEST_BOARDS)),)
$(error unknown board '$(filter-out $(BOARDS),$(BOARD) $(TEST_BOARDS))': BOARD and TEST_BOARDS take $(BOARDS))
endif
BUILD ?= $(CURDIR)/build
MUSL_TARGET := aarch64-unknown-linux-musl
CLI := tools/target/$(MUSL_TARGET)/release/dmacopy
CARGO ?= $(HOME)/.cargo/bin/cargo
export PATH := $(HOME)/.cargo/bin:$(PATH)

# Wall-clock limits of each board's guest runs of the kselftest collection, in seconds. TCG
# emulation under KASAN, lockdep and DEBUG_PAGEALLOC is several times slower.
TEST_TIMEOUT ?= 900
TEST_TIMEOUT_DEBUG ?= 2400
# More kernel command line for the debug guest (kmemleak and DEBUG_PAGEALLOC are on by default
# in its configuration).
DEBUG_APPEND ?=
# The module built against the debug kernel (the normal one stays in the source tree), from a
# copy of the sources.
MODULE_DEBUG_DIR := $(BUILD)/module-debug

# make bench: dmacopy's buf_size (the largest size measured must fit), seconds per timed run
# and runs per point (ours and dmatest's), bytes per copy (empty: 64 B to 4 MiB), the CPUs to
# pin dmatest's thread to in turn, a row per CPU (all, none: not pinned, or a list: 0,1), and
# the wall-clock limit of the boot, in seconds.
BENCH_BUF_SIZE ?= 4194304
BENCH_SECS ?= 1
BENCH_REPEATS ?= 3
BENCH_SIZES ?=
BENCH_DMATEST_CPUS ?= all
# rpi3's run (11 channels' worth of rows on a slower model) takes about 2200 s.
BENCH_TIMEOUT ?= $(if $(filter rpi3,$(BOARD)),3600,1800)
# Where make bench writes: build/bench on versal, build/bench-BOARD on another board.
BENCH_OUT ?= $(BUILD)/bench$(if $(filter-out versal,$(BOARD)),-$(BOARD))

KSELFTEST_CMD := cd /kselftest && DMACOPY_MODULE=/lib/modules/dmacopy.ko ./run_kselftest.sh -c dmacopy
# The debug kernel runs every test too, with the longest workloads scaled down (it is 5 to 10
# times slower): 40000 fuzz calls instead of 200000, 10 unbind rounds instead of 50, a 10 s
# soak, a fifth of the signal storms and fault floods (never below what their assertions
# need), and no AUTO calibration at each of the 100 loads. The normal kernel runs them in full;
# the summary prints what ran on each.
DEBUG_SCALE_ENV := DMACOPY_SCALE=20 DMACOPY_FUZZ_CALLS=40000 DMACOPY_UNBIND_ROUNDS=10 \
	DMACOPY_SOAK_SECS=10 DMACOPY_MODULE_PARAMS=auto_threshold=65536
# What a board's debug run needs on top of that. rpi3: its one device has 11 channels, so every
# bind, unbind, insmod and rmmod sets up or tears down all of them: 1 to 3 s each on the debug
# kernel, 2 to 12 s for an unbind while its files are open (one RCU grace period per channel),
# against a tenth of that for one ZDMA channel. So, on rpi3's debug run only:
# - 20 load cycles instead of 100 (kmemleak still checks them: a leak per load shows at once);
# - 4 unbind_under_load rounds (both kinds of round, twice; the fuzzer adds its own);
# - the fault loops of load_failures fail every 15th allocation through the probe's second
#   channel, from one the seed picks (the next run fails others), instead of every 5th;
# - DMACOPY_FAULT_MAX 800: the debug kernel's probe truly makes more allocations (KASAN's
#   shadow for each vmap of a coherent buffer, debugobjects' pool refills): measured 351 to
#   370 through the second channel by bind, 321 to 375 by insmod after the loader's 237,
#   against 159 and 156 (after 106) on the normal kernel, where the bound stays 400.
DEBUG_SCALE_ENV_versal :=
DEBUG_SCALE_ENV_rpi3 := DMACOPY_LOAD_CYCLES=20 DMACOPY_UNBIND_ROUNDS=4 DMACOPY_FAULT_STRIDE=15 \
	DMACOPY_FAULT_MAX=800
KSELFTEST_CMD_DEBUG = cd /kselftest && DMACOPY_MODULE=/lib/modules/dmacopy.ko \
	$(DEBUG_SCALE_ENV) $(DEBUG_SCALE_ENV_$(1)) ./run_kselftest.sh -o 1200 -c dmacopy

# kselftest_run BOARD,KERNEL: one guest run of the whole kselftest collection on BOARD with
# KERNEL (normal or debug). Its console goes to build/test-BOARD-KERNEL.log, its KTAP to
# ktap-BOARD-KERNEL.log, scripts/qemu.sh's exit status to guest-BOARD-KERNEL.rc and its
# wall-clock seconds to guest-BOARD-KERNEL.secs. A shell command list, ending with ';'.
kselftest_run = echo "== kselftest on $(1), $(2) kernel (limit $(TIMEOUT_$(2))s)"; \
	start=$$(date +%s); \
	KDIR=$(KDIR_$(2)) MODULE=$(MODULE_$(2)) CLI=$(CLI) KSELFTEST=$(BUILD)/kselftest \
		scripts/qemu.sh --board $(1) $(QEMU_ARGS_$(2)) --log $(BUILD)/test-$(1)-$(2).log \
		--timeout $(TIMEOUT_$(2)) --exec '$(call KSELFTEST_CMD_$(2),$(1))' \
		>$(BUILD)/ktap-$(1)-$(2).log; \
	echo $$? >$(BUILD)/guest-$(1)-$(2).rc; \
	echo $$(( $$(date +%s) - start )) >$(BUILD)/guest-$(1)-$(2).secs;
KSELFTEST_CMD_normal = $(KSELFTEST_CMD)
KSELFTEST_CMD_debug = $(KSELFTEST_CMD_DEBUG)
TIMEOUT_normal = $(TEST_TIMEOUT)
TIMEOUT_debug = $(TEST_TIMEOUT_DEBUG)
KDIR_normal = $(KDIR)
KDIR_debug = $(KDIR_DEBUG)
MODULE_normal = $(CURDIR)/dmacopy.ko
MODULE_debug = $(MODULE_DEBUG_DIR)/dmacopy.ko
QEMU_ARGS_normal :=
QEMU_ARGS_debug = --kmemleak --append '$(DEBUG_APPEND)' --module-args 'auto_threshold=65536'
# The guest runs in this order: both boards on the normal kernel first, then the debug kernel.
TEST_BOARDS_normal = $(TEST_BOARDS)
TEST_BOARDS_debug = $(filter $(TEST_BOARDS_DEBUG),$(TEST_BOARDS))
TEST_RUNS := $(foreach k,normal debug,$(foreach b,$(TEST_BOARDS_$(k)),$(b)-$(k)))

.PHONY: all modules modules-debug run test shell clean modules_install tools install-tools \
	kselftest host-test prepare prepare-normal prepare-debug setup bench check

# The user-space tools need no kernel tree: the static arm64 library and `dmacopy` CLI.
tools:
	CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld \
		$(CARGO) build --quiet --release --manifest-path tools/Cargo.toml --target $(MUSL_TARGET)

# make install-tools: the static arm64 `dmacopy` (make tools), its man pages (dmacopy.1 and
# dmacopy-COMMAND.1) and its bash, zsh and fish completions, under $(DESTDIR)$(PREFIX); e.g.
# `make install-tools DESTDIR=/path/to/board/rootfs PREFIX=/usr`. The pages and completions
# come from the CLI's own definitions (its hidden `dmacopy generate`), run from a build of the
# CLI for this host.
PREFIX ?= /usr/local
DESTDIR ?=
HOST_CLI := tools/target/release/dmacopy
install-tools: tools
	$(CARGO) build --quiet --release --manifest-path tools/Cargo.toml -p dmacopy-cli
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(CLI) $(DESTDIR)$(PREFIX)/bin/dmacopy
	$(HOST_CLI) generate man --dir $(DESTDIR)$(PREFIX)/share/man/man1
	$(HOST_CLI) generate completions bash >$(DESTDIR)$(PREFIX)/share/bash-completion/completions/dmacopy
	$(HOST_CLI) generate completions zsh >$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_dmacopy
	$(HOST_CLI) generate completions fish >$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/dmacopy.fish

ifeq ($(origin KDIR),undefined)

# No kernel tree given: set the machine up (idempotent) and use the cached emulator kernels.
all modules run shell modules_install kselftest bench check: prepare-normal
	@$(MAKE) --no-print-directory KDIR="$$(cat $(BUILD)/kdir)" $@

# The tools need the toolchain (the musl target) only.
tools: setup

test modules-debug: prepare
	@$(MAKE) --no-print-directory KDIR="$$(cat $(BUILD)/kdir)" \
		KDIR_DEBUG="$$(cat $(BUILD)/kdir-debug)" $@

prepare: prepare-normal prepare-debug

setup:
	@scripts/setup.sh

prepare-normal: setup
	@mkdir -p $(BUILD)
	@scripts/build-kernel.sh >$(BUILD)/kdir.new && mv $(BUILD)/kdir.new $(BUILD)/kdir

# After the normal kernel: one kernel build at a time.
prepare-debug: setup prepare-normal
	@mkdir -p $(BUILD)
	@scripts/build-kernel.sh --debug >$(BUILD)/kdir-debug.new && \
		mv $(BUILD)/kdir-debug.new $(BUILD)/kdir-debug

host-test:
	$(CARGO) test --quiet --manifest-path tools/Cargo.toml

else

KSRC ?= $(shell readlink -f $(KDIR)/source 2>/dev/null || echo $(KDIR))
KDIR_DEBUG ?=

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) ARCH=$(ARCH) LLVM=$(LLVM) modules

# The same sources, built against the debug kernel in a copy of their own: kbuild's MO= (a
# separate output directory) refuses a source tree that holds an in-tree build. The copy keeps
# the files' times, so an unchanged source is not rebuilt, and loses the sources that the tree
# no longer has (a file moved into a directory would otherwise make its module ambiguous).
DEBUG_SOURCES = find src include -type f \( -name '*.rs' -o -name '*.[ch]' -o -name Kbuild \)
modules-debug:
	@[ -n "$(KDIR_DEBUG)" ] || { echo "error: give KDIR_DEBUG (the debug kernel's build" \
		"directory) with KDIR, or neither to use the cached kernels" >&2; exit 1; }
	@mkdir -p $(MODULE_DEBUG_DIR)
	@cd $(MODULE_DEBUG_DIR) && $(DEBUG_SOURCES) 2>/dev/null | \
		while read -r f; do [ -e "$(CURDIR)/$$f" ] || rm -f "$$f"; done
	@{ echo Kbuild; $(DEBUG_SOURCES); } | cpio -pdmu --quiet $(MODULE_DEBUG_DIR)
	$(MAKE) -C $(KDIR_DEBUG) M=$(MODULE_DEBUG_DIR) ARCH=$(ARCH) LLVM=$(LLVM) modules

modules_install:
	$(MAKE) -C $(KDIR) M=$(CURDIR) ARCH=$(ARCH) LLVM=$(LLVM) modules_install

kselftest:
	$(MAKE) --no-print-directory -C tests/kselftest/dmacopy KSRC=$(KSRC) OUTPUT=$(BUILD)/kselftest/dmacopy
	scripts/kselftest-install.sh $(KSRC) $(BUILD)/kselftest

host-test:
	$(CARGO) test --quiet --manifest-path tools/Cargo.toml

run: modules tools
	@KDIR=$(KDIR) CLI=$(CLI) scripts/qemu.sh --board $(BOARD) --log $(BUILD)/run.log --timeout 300 \
		--exec 'dmacopy info; echo; dmacopy copy --mode dma --len 1M; dmacopy copy --mode cpu --len 1M'

# The static checks (scripts/check.sh), one TAP line a step; their logs in $(BUILD)/check/. A
# finding fails make check, and make test before anything else is built or booted.
check:
	@mkdir -p $(BUILD)
	@echo "== static checks (scripts/check.sh)"
	@{ KDIR=$(KDIR) KSRC=$(KSRC) ARCH=$(ARCH) LLVM=$(LLVM) BUILD=$(BUILD) CARGO=$(CARGO) \
		scripts/check.sh; echo $$? >$(BUILD)/check.rc; } | tee $(BUILD)/check.log
	@exit $$(cat $(BUILD)/check.rc)

# make check first: a finding stops make test there. Then every stage runs whatever the one
# before gave; the summary counts all of them (each step of make check, and each test of the
# uapi header's check, tests/uapi/check.sh, which make check ran, as a host test).
test: check modules modules-debug tools kselftest
	@echo "== host tests (cargo test in tools/)"
	@$(CARGO) test --quiet --manifest-path tools/Cargo.toml 2>&1 | tee $(BUILD)/host-test.log
	@echo "== kernel log scanner check (scripts/qemu.sh --self-test)"
	@{ scripts/qemu.sh --self-test; echo $$? >$(BUILD)/scan-check.rc; } >$(BUILD)/scan-check.log 2>&1; \
		grep -c '^ok' $(BUILD)/scan-check.log | sed 's/$$/ report patterns caught/'
	@echo "== test summary check (scripts/ktap-summary.py --self-test)"
	@{ /usr/bin/python3 scripts/ktap-summary.py --self-test; echo $$? >$(BUILD)/summary-check.rc; } \
		>$(BUILD)/summary-check.log 2>&1; grep -c '^ok' $(BUILD)/summary-check.log | sed 's/$$/ skip rules checked/'
	@echo "== benchmark report check (scripts/bench-report.py --self-test)"
	@{ /usr/bin/python3 scripts/bench-report.py --self-test; echo $$? >$(BUILD)/bench-check.rc; } \
		>$(BUILD)/bench-check.log 2>&1; tail -n 1 $(BUILD)/bench-check.log
	@rm -f $(foreach r,$(TEST_RUNS),$(BUILD)/ktap-$(r).log $(BUILD)/guest-$(r).rc $(BUILD)/guest-$(r).secs)
	@$(foreach k,normal debug,$(foreach b,$(TEST_BOARDS_$(k)),$(call kselftest_run,$(b),$(k))))
	@scripts/ktap-summary.py --cargo $(BUILD)/host-test.log \
		--tap static $(BUILD)/check.log $$(cat $(BUILD)/check.rc) \
		--tap uapi $(BUILD)/check/uapi-tap.log $$(cat $(BUILD)/check/uapi.rc) \
		--tap log-scan $(BUILD)/scan-check.log $$(cat $(BUILD)/scan-check.rc) \
		--tap bench-report $(BUILD)/bench-check.log $$(cat $(BUILD)/bench-check.rc) \
		--tap summary $(BUILD)/summary-check.log $$(cat $(BUILD)/summary-check.rc) \
		--programs $(BUILD)/kselftest/kselftest-list.txt \
		$(foreach r,$(TEST_RUNS),--run $(subst -, ,$(r)) $(BUILD)/ktap-$(r).log \
			$$(cat $(BUILD)/guest-$(r).rc) $$(cat $(BUILD)/guest-$(r).secs) $(BUILD)/test-$(r).log)

bench: modules tools
	@KDIR=$(KDIR) CLI=$(CLI) BUILD=$(BUILD) scripts/bench.sh --board $(BOARD) --out $(BENCH_OUT) \
		--buf-size $(BENCH_BUF_SIZE) --secs $(BENCH_SECS) --repeats $(BENCH_REPEATS) \
		$(if $(BENCH_SIZES),--sizes $(BENCH_SIZES)) \
		--dmatest-cpus $(BENCH_DMATEST_CPUS) --timeout $(BENCH_TIMEOUT)

shell: modules tools kselftest
	@KDIR=$(KDIR) CLI=$(CLI) KSELFTEST=$(BUILD)/kselftest scripts/qemu.sh --board $(BOARD) --interactive

endif

clean:
	rm -rf $(BUILD) *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers .module-common.o
	rm -f src/*.o src/.*.cmd src/*.d src/*.rmeta
	-$(CARGO) clean --quiet --manifest-path tools/Cargo.toml
	-$(MAKE) --no-print-directory -C tests/kselftest/dmacopy clean
