# SPDX-License-Identifier: GPL-2.0
#
# Included by every test group's and benchmark's Makefile after it sets
# TEST_GEN_PROGS.  Gives the kselftest harness headers (extracted from
# linux-source-6.12 by scripts/deps.sh), tools/include and the project's
# uapi headers (include/uapi: <snapvf/mig_stream.h>, the stream format).

SVF_TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/../../..)
KSFT_INC := $(SVF_TOP)/build/kernel-tools/tools/testing/selftests

CC ?= gcc
CFLAGS += -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -D_GNU_SOURCE \
	  -I$(KSFT_INC) -I$(SVF_TOP)/tools/include -I$(SVF_TOP)/include/uapi
# -Wclobbered (from -Wextra) fires inside the 6.12 harness's own TEST_F
# wrapper, on its `child` local around setjmp(), depending on how gcc inlines
# each test; the warning is about the harness, not our tests.
CFLAGS += -Wno-clobbered
LDLIBS += -lpthread
# The harness's per-test time limit scales with the lane's kernel
# (tools/include/svf_harness.h; make check KERNEL=debug sets it).
SVF_TIMEOUT_SCALE ?= 1
CFLAGS += -DSVF_TIMEOUT_SCALE=$(SVF_TIMEOUT_SCALE)
# A program built with another scale is rebuilt.
SVF_SCALE_STAMP := $(SVF_TOP)/build/timeout-scale.$(SVF_TIMEOUT_SCALE)

.PHONY: all clean
all: $(TEST_GEN_PROGS)

$(TEST_GEN_PROGS): %: %.c $(wildcard $(SVF_TOP)/tools/include/*.h) \
		   $(wildcard $(SVF_TOP)/include/uapi/snapvf/*.h) $(SVF_SCALE_STAMP)
	$(CC) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(LDLIBS)

$(SVF_SCALE_STAMP):
	@mkdir -p $(dir $@) && rm -f $(SVF_TOP)/build/timeout-scale.* && touch $@

clean:
	rm -f $(TEST_GEN_PROGS) $(EXTRA_CLEAN)
