# SPDX-License-Identifier: GPL-2.0
#
# snapvf: VFIO vendor framework (out-of-tree kernel modules + tools).
#
#   make            build every module against the target kernel's headers
#   make check      build, then run the test suite inside a QEMU guest
#   make check KERNEL=debug
#                   the same on the debug test kernel (KASAN, lockdep,
#                   kmemleak, KCOV, IOMMUFD), built once and cached
#   make debug-kernel  build (or find cached) the debug test kernel
#   make demo       the end-to-end demonstration, in a QEMU guest
#   make lint       sparse (C=2), checkpatch --strict, kernel-doc
#   make bench      benchmarks (ratios against stock peers, one VM run each)
#   make fuzz       the fuzzer's test group on the debug kernel, 1M ops / 20 min
#   make deps       install what the above need (Debian packages, as root)
#   make install    modules into /lib/modules/$(KVER)/updates/snapvf + depmod
#   make uninstall  removes them again
#   make headers_install    the userspace API headers (include/uapi/snapvf:
#                   the migration stream format) into
#                   $(INSTALL_HDR_PATH)/include/snapvf (default /usr/local)
#   make headers_uninstall  removes them again
#
# KVER selects the target kernel release (default: the newest Debian 12
# 6.12 LTS kernel, never the running one); KDIR its build directory.
# KERNEL=debug runs check/lint in a copy of the tree (build/kernel-debug/tree)
# built against the debug test kernel (scripts/debug-kernel.sh).

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD := $(TOP)/build

KVER ?= $(shell $(TOP)/scripts/kver.sh)
KDIR ?= /usr/src/linux-headers-$(KVER)
export KVER KDIR

# Test-only modules: built for the VM tests, never installed.
TEST_MODULES := $(TOP)/tools/testing/modules

KBUILD := $(MAKE) -C $(KDIR) M=$(TOP) W=1
LOCK := flock $(BUILD)/.build.lock

.PHONY: all modules test-modules tools deps check-deps check bench demo lint \
	install uninstall headers_install headers_uninstall clean help debug-kernel

KERNEL ?= target
ifeq ($(filter target debug,$(KERNEL)),)
$(error KERNEL must be 'target' or 'debug', not '$(KERNEL)')
endif

all: modules tools

help:
	@sed -n 's/^#   //p' $(TOP)/Makefile

$(BUILD):
	@mkdir -p $@

check-deps: | $(BUILD)
	@$(TOP)/scripts/deps.sh --check-or-install

deps: | $(BUILD)
	@$(TOP)/scripts/deps.sh --install

modules: check-deps
	@test -n "$(KVER)" || { echo "make: no target kernel found (see make deps)"; exit 1; }
	@test -f $(KDIR)/Makefile || { echo "make: no kernel build directory $(KDIR) for KVER=$(KVER); run 'make deps' or set KDIR="; exit 1; }
	$(LOCK) $(KBUILD) modules

# kbuild reruns an external module's modpost only when the module itself
# changed, not when the symbols it imports (KBUILD_EXTRA_SYMBOLS) did: a
# test module would keep the CRCs of our modules' previous build and fail
# to load ("disagrees about version of symbol").  A newer Module.symvers
# of ours removes the test modules' symbol dump, which reruns modpost.
test-modules: modules
	@if [ -f $(TEST_MODULES)/Kbuild ]; then \
		if [ $(TOP)/Module.symvers -nt $(TEST_MODULES)/Module.symvers ]; then \
			rm -f $(TEST_MODULES)/Module.symvers; fi; \
		$(LOCK) $(MAKE) -C $(KDIR) M=$(TEST_MODULES) W=1 \
			KBUILD_EXTRA_SYMBOLS=$(TOP)/Module.symvers modules; fi

tools: check-deps
	$(MAKE) -s -C $(TOP)/tools

debug-kernel: check-deps
	$(TOP)/scripts/debug-kernel.sh build

ifeq ($(KERNEL),debug)
# The debug lane: the whole project, as a user would build it, in a copy of
# the tree (sources mirrored, build outputs kept) against the debug kernel.
# Guests are slower there (KASAN, lockdep under TCG): timeouts scale.
DEBUG_TREE := $(BUILD)/kernel-debug/tree
DEBUG_SCALE ?= 8

check lint: debug-kernel
	@mkdir -p $(DEBUG_TREE)
	rsync -a --delete --exclude=/build/ --exclude=/.git/ --filter=':- .gitignore' \
		$(TOP)/ $(DEBUG_TREE)/
	eval "$$($(TOP)/scripts/debug-kernel.sh env)" && \
	$(MAKE) -C $(DEBUG_TREE) $@ KERNEL=target KVER="$$KVER" KDIR="$$KDIR" \
		SVF_KIMAGE="$$SVF_KIMAGE" SVF_KMODS="$$SVF_KMODS" \
		SVF_TIMEOUT_SCALE=$(DEBUG_SCALE) $(if $(GROUPS),GROUPS="$(GROUPS)")
	$(if $(filter lint,$@),$(TOP)/scripts/debug-kernel-test.sh)
else
check: modules test-modules tools
	$(TOP)/tools/testing/run-tests $(if $(GROUPS),$(GROUPS),--all)

lint: check-deps
	$(TOP)/scripts/lint.sh
endif

bench: modules test-modules tools
	$(TOP)/tools/testing/run-tests --bench $(if $(GROUPS),$(GROUPS),--all)

demo: modules tools
	$(TOP)/tools/demo/demo

# Installed modules live in one directory, so uninstall removes exactly
# what install put there.  INSTALL_MOD_PATH= installs into a staging root.
MODDIR := $(INSTALL_MOD_PATH)/lib/modules/$(KVER)/updates/snapvf

# Debian's module signing key is not shipped with its headers: install
# unsigned (they load with the E taint); sign with your own key via DKMS/MOK.
# Installed modules are stripped of debug info, as Debian strips its own.
NO_SIGN := CONFIG_MODULE_SIG_ALL=

# Like the kernel's modules_install, install does not build: run make first
# (as the user who builds), then make install (as root).
install:
	@test -s $(TOP)/modules.order || { echo "make: nothing built for $(KVER): run 'make' first"; exit 1; }
	$(KBUILD) INSTALL_MOD_DIR=updates/snapvf INSTALL_MOD_STRIP=1 $(NO_SIGN) modules_install
	depmod -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KVER)

uninstall:
	@test -d $(MODDIR) || { echo "make: nothing to uninstall: $(MODDIR) does not exist"; exit 1; }
	rm -rf $(MODDIR)
	depmod -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KVER)

# The userspace API: what a program that reads or writes snapvf migration
# streams includes as <snapvf/mig_stream.h>.  The headers are userspace-clean
# as they are (make lint checks), so they are copied, not rewritten.
# uninstall removes exactly those files (and the directory if empty).
INSTALL_HDR_PATH ?= /usr/local
HDRDIR := $(INSTALL_HDR_PATH)/include/snapvf
UAPI_HDRS := $(notdir $(wildcard $(TOP)/include/uapi/snapvf/*.h))

headers_install:
	install -d $(HDRDIR)
	install -m 0644 $(addprefix $(TOP)/include/uapi/snapvf/,$(UAPI_HDRS)) $(HDRDIR)/

headers_uninstall:
	@test -n "$(wildcard $(addprefix $(HDRDIR)/,$(UAPI_HDRS)))" || { echo "make: nothing to uninstall: no snapvf headers in $(HDRDIR)"; exit 1; }
	rm -f $(addprefix $(HDRDIR)/,$(UAPI_HDRS))
	-rmdir --ignore-fail-on-non-empty $(HDRDIR)

clean:
	-$(KBUILD) clean
	-[ -f $(TEST_MODULES)/Kbuild ] && $(MAKE) -C $(KDIR) M=$(TEST_MODULES) clean
	-$(MAKE) -C $(TOP)/tools clean

# make fuzz: the fuzz test group (tools/testing/fuzz/svf-fuzz, KCOV-guided)
# on the debug kernel with a long budget: SVF_FUZZ_OPS operations (default
# 1000000) or SVF_FUZZ_TIME seconds (default 1200), whichever ends first.
SVF_FUZZ_OPS ?= 1000000
SVF_FUZZ_TIME ?= 1200
.PHONY: fuzz
fuzz:
	SVF_FUZZ_OPS=$(SVF_FUZZ_OPS) SVF_FUZZ_TIME=$(SVF_FUZZ_TIME) \
		$(MAKE) check KERNEL=debug GROUPS=fuzz
