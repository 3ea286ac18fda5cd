# SPDX-License-Identifier: GPL-2.0
#
# dmacopy: build the module, the user-space tools and the kselftest, and run them on the
# emulated board.
#
#   make              build dmacopy.ko (against the cached kernel, set up on first use)
#   make run          boot the emulated board, load the module, copy by DMA and by CPU
#   make test         host tests, then the kselftest on the emulated board, on the normal
#                     kernel and on the debug kernel (KASAN, lockdep, kmemleak, ...)
#   make shell        an interactive shell on the emulated board, module loaded
#   make bench        one boot: our copy paths against the kernel's dmatest on the upstream
#                     driver; table and targets on the terminal, JSON, Markdown and a plot
#                     in build/bench/ (BENCH_SECS=0.2 BENCH_REPEATS=1 for a quick try)
#   make prepare      set the machine up and build both cached kernels
#   make clean        remove build products (the kernel cache stays)
#   make modules_install   install dmacopy.ko into the kernel tree's module directory
#
# Building for a real board's kernel tree (configured with CONFIG_RUST):
#   make KDIR=/path/to/kernel/build ARCH=arm64 LLVM=1
# `make test` with KDIR also needs KDIR_DEBUG, the debug kernel's build directory.

ARCH ?= arm64
LLVM ?= -19
BUILD ?= $(CURDIR)/build
MUSL_TARGET := aarch64-unknown-linux-musl
CLI := tools/target/$(MUSL_TARGET)/release/dmacopy
CARGO ?= $(HOME)/.cargo/bin/cargo
export PATH := $(HOME)/.cargo/bin:$(PATH)

# Wall-clock limits of the two guest runs of the kselftest collection, in seconds. TCG
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
BENCH_TIMEOUT ?= 1800

KSELFTEST_CMD := cd /kselftest && DMACOPY_MODULE=/lib/modules/dmacopy.ko ./run_kselftest.sh -c dmacopy
# The debug kernel runs every test too, with the longest workloads scaled down (it is 5 to 10
# times slower): 40000 fuzz calls instead of 200000, 10 unbind rounds instead of 50, a 10 s
# soak, a fifth of the signal storms and fault floods (never below what their assertions
# need), and no AUTO calibration at each of the 100 loads. The normal kernel runs them in full;
# the summary prints what ran on each.
DEBUG_SCALE_ENV := DMACOPY_SCALE=20 DMACOPY_FUZZ_CALLS=40000 DMACOPY_UNBIND_ROUNDS=10 \
	DMACOPY_SOAK_SECS=10 DMACOPY_MODULE_PARAMS=auto_threshold=65536
KSELFTEST_CMD_DEBUG := cd /kselftest && DMACOPY_MODULE=/lib/modules/dmacopy.ko \
	$(DEBUG_SCALE_ENV) ./run_kselftest.sh -o 1200 -c dmacopy

.PHONY: all modules modules-debug run test shell clean modules_install tools kselftest \
	host-test prepare prepare-normal prepare-debug setup bench

ifeq ($(origin KDIR),undefined)

# No kernel tree given: set the machine up (idempotent) and use the cached emulator kernels.
all modules run shell modules_install tools kselftest bench: prepare-normal
	@$(MAKE) --no-print-directory KDIR="$$(cat $(BUILD)/kdir)" $@

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
# the files' times, so an unchanged source is not rebuilt.
modules-debug:
	@[ -n "$(KDIR_DEBUG)" ] || { echo "error: give KDIR_DEBUG (the debug kernel's build" \
		"directory) with KDIR, or neither to use the cached kernels" >&2; exit 1; }
	@mkdir -p $(MODULE_DEBUG_DIR)
	@{ echo Kbuild; find src include -type f \( -name '*.rs' -o -name '*.[ch]' -o -name Kbuild \); } | \
		cpio -pdmu --quiet $(MODULE_DEBUG_DIR)
	$(MAKE) -C $(KDIR_DEBUG) M=$(MODULE_DEBUG_DIR) ARCH=$(ARCH) LLVM=$(LLVM) modules

modules_install:
	$(MAKE) -C $(KDIR) M=$(CURDIR) ARCH=$(ARCH) LLVM=$(LLVM) modules_install

tools:
	CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld \
		$(CARGO) build --quiet --release --manifest-path tools/Cargo.toml --target $(MUSL_TARGET)

kselftest:
	$(MAKE) --no-print-directory -C tests/kselftest/dmacopy KSRC=$(KSRC) OUTPUT=$(BUILD)/kselftest/dmacopy
	scripts/kselftest-install.sh $(KSRC) $(BUILD)/kselftest

host-test:
	$(CARGO) test --quiet --manifest-path tools/Cargo.toml

run: modules tools
	@KDIR=$(KDIR) CLI=$(CLI) scripts/qemu.sh --log $(BUILD)/run.log --timeout 300 \
		--exec 'dmacopy info; echo; dmacopy copy --mode dma --len 1M; dmacopy copy --mode cpu --len 1M'

# Every stage runs whatever the one before gave; the summary counts all of them.
test: modules modules-debug tools kselftest
	@echo "== host tests (cargo test in tools/)"
	@$(CARGO) test --quiet --manifest-path tools/Cargo.toml 2>&1 | tee $(BUILD)/host-test.log
	@rm -f $(BUILD)/uapi-check.log
	@if [ -f tests/uapi/check.sh ]; then \
		echo "== uapi header check (tests/uapi/check.sh)"; \
		{ bash tests/uapi/check.sh 2>&1; echo $$? >$(BUILD)/uapi-check.rc; } | tee $(BUILD)/uapi-check.log; \
	fi
	@echo "== kernel log scanner check (scripts/qemu.sh --self-test)"
	@{ scripts/qemu.sh --self-test; echo $$? >$(BUILD)/scan-check.rc; } >$(BUILD)/scan-check.log 2>&1; \
		grep -c '^ok' $(BUILD)/scan-check.log | sed 's/$$/ report patterns caught/'
	@echo "== benchmark report check (scripts/bench-report.py --self-test)"
	@{ /usr/bin/python3 scripts/bench-report.py --self-test; echo $$? >$(BUILD)/bench-check.rc; } \
		>$(BUILD)/bench-check.log 2>&1; tail -n 1 $(BUILD)/bench-check.log
	@echo "== kselftest on the emulated board: normal kernel (limit $(TEST_TIMEOUT)s)"
	@KDIR=$(KDIR) CLI=$(CLI) KSELFTEST=$(BUILD)/kselftest scripts/qemu.sh \
		--log $(BUILD)/test.log --timeout $(TEST_TIMEOUT) --exec '$(KSELFTEST_CMD)' \
		>$(BUILD)/ktap.log; echo $$? >$(BUILD)/guest.rc
	@echo "== kselftest on the emulated board: debug kernel (limit $(TEST_TIMEOUT_DEBUG)s)"
	@KDIR=$(KDIR_DEBUG) MODULE=$(MODULE_DEBUG_DIR)/dmacopy.ko CLI=$(CLI) \
		KSELFTEST=$(BUILD)/kselftest scripts/qemu.sh --kmemleak --append '$(DEBUG_APPEND)' \
		--module-args 'auto_threshold=65536' \
		--log $(BUILD)/test-debug.log --timeout $(TEST_TIMEOUT_DEBUG) --exec '$(KSELFTEST_CMD_DEBUG)' \
		>$(BUILD)/ktap-debug.log; echo $$? >$(BUILD)/guest-debug.rc
	@scripts/ktap-summary.py --cargo $(BUILD)/host-test.log \
		$$([ -f $(BUILD)/uapi-check.log ] && echo --tap uapi $(BUILD)/uapi-check.log $$(cat $(BUILD)/uapi-check.rc)) \
		--tap log-scan $(BUILD)/scan-check.log $$(cat $(BUILD)/scan-check.rc) \
		--tap bench-report $(BUILD)/bench-check.log $$(cat $(BUILD)/bench-check.rc) \
		--programs $(BUILD)/kselftest/kselftest-list.txt \
		--kernel normal $(BUILD)/ktap.log $$(cat $(BUILD)/guest.rc) $(BUILD)/test.log \
		--kernel debug $(BUILD)/ktap-debug.log $$(cat $(BUILD)/guest-debug.rc) $(BUILD)/test-debug.log

bench: modules tools
	@KDIR=$(KDIR) CLI=$(CLI) BUILD=$(BUILD) scripts/bench.sh --out $(BUILD)/bench \
		--buf-size $(BENCH_BUF_SIZE) --secs $(BENCH_SECS) --repeats $(BENCH_REPEATS) \
		$(if $(BENCH_SIZES),--sizes $(BENCH_SIZES)) \
		--dmatest-cpus $(BENCH_DMATEST_CPUS) --timeout $(BENCH_TIMEOUT)

shell: modules tools kselftest
	@KDIR=$(KDIR) CLI=$(CLI) KSELFTEST=$(BUILD)/kselftest scripts/qemu.sh --interactive

endif

clean:
	rm -rf $(BUILD) *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers .module-common.o
	rm -f src/*.o src/.*.cmd src/*.d src/*.rmeta
	-$(CARGO) clean --quiet --manifest-path tools/Cargo.toml
	-$(MAKE) --no-print-directory -C tests/kselftest/dmacopy clean
