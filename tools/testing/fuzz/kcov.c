// SPDX-License-Identifier: GPL-2.0
/*
 * svf-fuzz: coverage feedback through KCOV.
 *
 * Each thread that runs operations opens its own /sys/kernel/debug/kcov
 * handle in KCOV_TRACE_PC mode.  kcov_begin()/kcov_end() bracket one
 * operation: the PCs the kernel recorded for this thread in between are
 * added to a process-wide set, and kcov_end() returns how many of them the
 * set had not seen yet (the corpus keeps programs for which that is > 0).
 *
 * Only snapvf's modules are instrumented on the debug kernel (the top
 * Kbuild adds CFLAGS_KCOV; KCOV_INSTRUMENT_ALL is off), so the PCs are
 * ours; kcov_report() attributes each unique PC to a module by the text
 * addresses in /sys/module/<name>/sections/.text and the sizes in
 * /proc/modules (both need root).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef KCOV_INIT_TRACE
#define KCOV_INIT_TRACE		_IOR('c', 1, unsigned long)
#define KCOV_ENABLE		_IO('c', 100)
#define KCOV_DISABLE		_IO('c', 101)
#define KCOV_TRACE_PC		0
#endif

#define KCOV_PATH	"/sys/kernel/debug/kcov"
#define KCOV_WORDS	(1 << 18)	/* PCs per operation before truncation */
#define SET_BITS	21		/* unique-PC set: 2M slots */

static bool kcov_usable;
static __thread int kcov_fd = -1;
static __thread uint64_t *kcov_area;

static uint64_t *pc_set;
static uint64_t pc_count;
static pthread_mutex_t pc_lock = PTHREAD_MUTEX_INITIALIZER;

int kcov_init(void)
{
	int fd;

	if (access(KCOV_PATH, F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	fd = open(KCOV_PATH, O_RDWR);
	if (fd < 0)
		return -errno;
	close(fd);
	pc_set = calloc(1UL << SET_BITS, sizeof(*pc_set));
	if (!pc_set)
		return -ENOMEM;
	kcov_usable = true;
	return 0;
}

bool kcov_on(void)
{
	return kcov_usable;
}

int kcov_thread_start(void)
{
	void *p;

	if (!kcov_usable)
		return 0;
	kcov_fd = open(KCOV_PATH, O_RDWR);
	if (kcov_fd < 0)
		return -errno;
	if (ioctl(kcov_fd, KCOV_INIT_TRACE, (unsigned long)KCOV_WORDS))
		goto fail;
	p = mmap(NULL, KCOV_WORDS * sizeof(uint64_t), PROT_READ | PROT_WRITE,
		 MAP_SHARED, kcov_fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	kcov_area = p;
	if (ioctl(kcov_fd, KCOV_ENABLE, KCOV_TRACE_PC))
		goto fail;
	return 0;
fail:
	close(kcov_fd);
	kcov_fd = -1;
	kcov_area = NULL;
	return -errno;
}

void kcov_thread_stop(void)
{
	if (kcov_fd < 0)
		return;
	ioctl(kcov_fd, KCOV_DISABLE, 0);
	munmap(kcov_area, KCOV_WORDS * sizeof(uint64_t));
	close(kcov_fd);
	kcov_fd = -1;
	kcov_area = NULL;
}

void kcov_begin(void)
{
	if (kcov_area)
		__atomic_store_n(&kcov_area[0], 0, __ATOMIC_RELAXED);
}

/* Add @pc to the set; true if it was new.  pc_lock held. */
static bool pc_add(uint64_t pc)
{
	uint64_t mask = (1UL << SET_BITS) - 1, h = (pc * 0x9e3779b97f4a7c15ULL) >> 20;
	unsigned int probe;

	for (probe = 0; probe < 64; probe++, h++) {
		uint64_t *slot = &pc_set[h & mask];

		if (*slot == pc)
			return false;
		if (!*slot) {
			*slot = pc;
			pc_count++;
			return true;
		}
	}
	return false;	/* set saturated around here: treat as known */
}

unsigned int kcov_end(void)
{
	uint64_t n, i;
	unsigned int fresh = 0;

	if (!kcov_area)
		return 0;
	n = __atomic_load_n(&kcov_area[0], __ATOMIC_RELAXED);
	if (n >= KCOV_WORDS)
		n = KCOV_WORDS - 1;
	pthread_mutex_lock(&pc_lock);
	for (i = 1; i <= n; i++)
		fresh += pc_add(kcov_area[i]);
	pthread_mutex_unlock(&pc_lock);
	return fresh;
}

uint64_t kcov_total(void)
{
	return pc_count;
}

/*
 * The unique PCs, one hexadecimal canonical PC per line, to @path: parallel
 * workers (tools/testing/selftests/fuzz/run.sh) each save theirs and one
 * "svf-fuzz --coverage FILE..." reports the union.  0 or -errno.
 */
int kcov_save(const char *path)
{
	FILE *f = fopen(path, "w");
	uint64_t i;
	int ret = 0;

	if (!f)
		return -errno;
	for (i = 0; pc_set && i < (1UL << SET_BITS); i++)
		if (pc_set[i] && fprintf(f, "%llx\n", (unsigned long long)pc_set[i]) < 0)
			ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

/* Add the PCs a kcov_save() wrote to @path to the set.  0 or -errno. */
int kcov_load(const char *path)
{
	unsigned long long pc;
	FILE *f;

	if (!pc_set) {
		pc_set = calloc(1UL << SET_BITS, sizeof(*pc_set));
		if (!pc_set)
			return -ENOMEM;
	}
	kcov_usable = true;
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fscanf(f, "%llx", &pc) == 1)
		pc_add(pc);
	fclose(f);
	return 0;
}

struct kmod {
	char name[64];
	uint64_t text, size;
	uint64_t pcs;
};

/* Text start of @name from sysfs, 0 if unknown. */
static uint64_t mod_text(const char *name)
{
	char p[256];
	FILE *f;
	unsigned long long a = 0;

	snprintf(p, sizeof(p), "/sys/module/%s/sections/.text", name);
	f = fopen(p, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llx", &a) != 1)
		a = 0;
	fclose(f);
	return a;
}

/*
 * KCOV reports PCs minus the kernel image's KASLR offset (canonicalize_ip()
 * in kernel/kcov.c), module PCs included.  The offset is where _text is
 * now minus where it was linked (__START_KERNEL: 0xffffffff81000000 on
 * x86_64 with the default PHYSICAL_START).
 */
static uint64_t kaslr_offset(void)
{
	unsigned long long a;
	char line[256], type, name[128];
	uint64_t off = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %127s", &a, &type, name) == 3 &&
		    !strcmp(name, "_text")) {
			off = a - 0xffffffff81000000ULL;
			break;
		}
	}
	if (f)
		fclose(f);
	return off;
}

static int kmod_cmp(const void *a, const void *b)
{
	const struct kmod *x = a, *y = b;

	return x->text < y->text ? -1 : x->text > y->text;
}

void kcov_report(void)
{
	struct kmod *m = NULL;
	char line[512];
	uint64_t other = 0, kaslr, i;
	size_t n = 0, cap = 0, k;
	FILE *f;

	if (!kcov_usable) {
		printf("# coverage: KCOV not available (%s): pure random fuzzing, no feedback\n",
		       KCOV_PATH);
		return;
	}
	f = fopen("/proc/modules", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char name[64];
		unsigned long long size;

		if (sscanf(line, "%63s %llu", name, &size) != 2)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			m = realloc(m, cap * sizeof(*m));
			if (!m)
				return;
		}
		memset(&m[n], 0, sizeof(m[n]));
		snprintf(m[n].name, sizeof(m[n].name), "%s", name);
		m[n].size = size;
		m[n].text = mod_text(name);
		if (m[n].text)
			n++;
	}
	if (f)
		fclose(f);
	qsort(m, n, sizeof(*m), kmod_cmp);
	kaslr = kaslr_offset();
	for (i = 0; i < (1UL << SET_BITS); i++) {
		uint64_t pc = pc_set[i] + kaslr;
		size_t lo = 0, hi = n;

		if (!pc_set[i])
			continue;
		while (lo < hi) {	/* last module whose text starts <= pc */
			size_t mid = (lo + hi) / 2;

			if (m[mid].text <= pc)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo && pc - m[lo - 1].text < m[lo - 1].size)
			m[lo - 1].pcs++;
		else
			other++;
	}
	printf("# coverage: %llu unique PCs (KCOV_TRACE_PC)\n",
	       (unsigned long long)pc_count);
	for (k = 0; k < n; k++)
		if (m[k].pcs)
			printf("#   %-24s %8llu PCs\n", m[k].name,
			       (unsigned long long)m[k].pcs);
	if (other)
		printf("#   %-24s %8llu PCs\n", "(outside modules)",
		       (unsigned long long)other);
	free(m);
}
