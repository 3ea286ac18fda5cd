# SPDX-License-Identifier: GPL-2.0
#
# dmacopy: build the module, the user-space tools and the kselftest, and run them on the
# emulated board.
#
#   make              build dmacopy.ko (against the cached kernel, set up on first use)
#   make run          boot the emulated board, load the module, copy by DMA and by CPU
#   make test         host tests, then the kselftest on the emulated board
#   make shell        an interactive shell on the emulated board, module loaded
#   make clean        remove build products (the kernel cache stays)
#   make modules_install   install dmacopy.ko into the kernel tree's module directory
#
# Building for a real board's kernel tree (configured with CONFIG_RUST):
#   make KDIR=/path/to/kernel/build ARCH=arm64 LLVM=1

ARCH ?= arm64
LLVM ?= -19
BUILD ?= $(CURDIR)/build
MUSL_TARGET := aarch64-unknown-linux-musl
CLI := tools/target/$(MUSL_TARGET)/release/dmacopy
CARGO ?= $(HOME)/.cargo/bin/cargo
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: all modules run test shell clean modules_install tools kselftest host-test prepare

ifeq ($(origin KDIR),undefined)

# No kernel tree given: set the machine up (idempotent) and use the cached emulator kernel.
all modules run test shell modules_install tools kselftest: prepare
	@$(MAKE) --no-print-directory KDIR="$$(cat $(BUILD)/kdir)" $@

prepare:
	@scripts/setup.sh
	@mkdir -p $(BUILD)
	@scripts/build-kernel.sh >$(BUILD)/kdir.new && mv $(BUILD)/kdir.new $(BUILD)/kdir

host-test:
	$(CARGO) test --quiet --manifest-path tools/Cargo.toml

else

KSRC ?= $(shell readlink -f $(KDIR)/source 2>/dev/null || echo $(KDIR))

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) ARCH=$(ARCH) LLVM=$(LLVM) modules

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

test: modules tools kselftest
	@echo "== host tests (cargo test in tools/)"
	@$(CARGO) test --quiet --manifest-path tools/Cargo.toml 2>&1 | tee $(BUILD)/host-test.log
	@echo "== kselftest on the emulated board"
	@KDIR=$(KDIR) CLI=$(CLI) KSELFTEST=$(BUILD)/kselftest scripts/qemu.sh \
		--log $(BUILD)/test.log --timeout 1200 \
		--exec 'cd /kselftest && DMACOPY_MODULE=/lib/modules/dmacopy.ko ./run_kselftest.sh -c dmacopy' \
		>$(BUILD)/ktap.log; echo $$? >$(BUILD)/guest.rc; true
	@scripts/ktap-summary.py $(BUILD)/host-test.log $(BUILD)/ktap.log $$(cat $(BUILD)/guest.rc)

shell: modules tools kselftest
	@KDIR=$(KDIR) CLI=$(CLI) KSELFTEST=$(BUILD)/kselftest scripts/qemu.sh --interactive

endif

clean:
	rm -rf $(BUILD) *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers .module-common.o
	rm -f src/*.o src/.*.cmd src/*.d src/*.rmeta
	-$(CARGO) clean --quiet --manifest-path tools/Cargo.toml
	-$(MAKE) --no-print-directory -C tests/kselftest/dmacopy clean
