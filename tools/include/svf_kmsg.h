/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel log as tests read it: open /dev/kmsg at its end, then count
 * the lines logged since that contain a string.
 */
#ifndef _SVF_KMSG_H
#define _SVF_KMSG_H

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#ifndef SVF_UNUSED
#define SVF_UNUSED __attribute__((unused))
#endif

/* /dev/kmsg positioned at its end (later reads see new lines), or -errno. */
static SVF_UNUSED int svf_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * Lines since svf_kmsg_open() (or the previous call) containing @needle;
 * with @warnings, also counts WARNING, BUG and Oops lines there.
 */
static SVF_UNUSED int svf_kmsg_count(int fd, const char *needle, int *warnings)
{
	char rec[2048];
	int count = 0;
	ssize_t n;

	if (warnings)
		*warnings = 0;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = 0;
		if (strstr(rec, needle))
			count++;
		if (warnings && (strstr(rec, "WARNING") || strstr(rec, "BUG") ||
				 strstr(rec, "Oops")))
			(*warnings)++;
	}
	return count;
}

#endif /* _SVF_KMSG_H */
