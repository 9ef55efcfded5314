# SPDX-License-Identifier: GPL-2.0
#
# Included by every test group's and benchmark's Makefile after it sets
# TEST_GEN_PROGS.  Gives the kselftest harness headers (extracted from
# linux-source-6.12 by scripts/deps.sh), tools/include and the uAPI
# header include/uapi/snapvf.h.

SVF_TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/../../..)
KSFT_INC := $(SVF_TOP)/build/kernel-tools/tools/testing/selftests

CC ?= gcc
CFLAGS += -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -D_GNU_SOURCE \
	  -I$(KSFT_INC) -I$(SVF_TOP)/tools/include -I$(SVF_TOP)/include/uapi
LDLIBS += -lpthread

.PHONY: all clean
all: $(TEST_GEN_PROGS)

$(TEST_GEN_PROGS): %: %.c $(wildcard $(SVF_TOP)/tools/include/*.h)
	$(CC) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(LDLIBS)

clean:
	rm -f $(TEST_GEN_PROGS) $(EXTRA_CLEAN)
