// SPDX-License-Identifier: GPL-2.0
/*
 * svf-vblk - command-line front end of the userspace virtio-blk driver.
 *
 *   svf-vblk DEV info
 *   svf-vblk DEV write  START_SECTOR SECTORS [SEED]   pattern write
 *   svf-vblk DEV verify START_SECTOR SECTORS [SEED]   read back and compare
 *   svf-vblk DEV flush
 *   svf-vblk DEV iops SECONDS [DEPTH] [read|write]    4 KiB random I/O
 *   svf-vblk DEV hold SECONDS    keep the device open until the kernel asks
 *                                for it back (VFIO request IRQ) or timeout
 *
 * DEV is an mdev uuid, a PCI address bound to vfio-pci, or a sysfs path.
 * Exit status 0 on success, 1 on failure (one line on stderr says why).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vblk.h"

static int die(const char *what, int err)
{
	fprintf(stderr, "svf-vblk: %s: %s\n", what, err < 0 ? strerror(-err) :
		err ? "device returned an error status" : "failed");
	return 1;
}

static int cmd_info(struct vblk *b)
{
	char id[VIRTIO_BLK_ID_BYTES + 1];
	int ret = vblk_get_id(b, id);

	if (ret)
		return die("GET_ID", ret);
	printf("id=%s capacity_sectors=%llu queues=%u msix_vectors=%u features=%#llx\n",
	       id, (unsigned long long)b->capacity, b->nq, b->msix_vectors,
	       (unsigned long long)b->features);
	return 0;
}

static int cmd_rw(struct vblk *b, bool verify, uint64_t start, uint64_t n,
		  uint64_t seed)
{
	static uint8_t buf[VBLK_SLOT_DATA];
	uint64_t s = start;
	int ret, bad;

	if (start + n > b->capacity)
		return die("range beyond capacity", -EINVAL);
	while (s < start + n) {
		uint32_t cnt = VBLK_SLOT_DATA / VBLK_SECTOR;

		if (cnt > start + n - s)
			cnt = start + n - s;
		if (!verify)
			vblk_pattern(buf, cnt * VBLK_SECTOR, s, seed);
		ret = vblk_rw(b, 0, verify ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT,
			      s, buf, cnt * VBLK_SECTOR);
		if (ret)
			return die(verify ? "read" : "write", ret);
		if (verify) {
			bad = vblk_check_pattern(buf, cnt * VBLK_SECTOR, s, seed);
			if (bad >= 0) {
				fprintf(stderr, "svf-vblk: verify: mismatch at sector %llu\n",
					(unsigned long long)(s + bad / VBLK_SECTOR));
				return 1;
			}
		}
		s += cnt;
	}
	printf("%s %llu sectors from %llu: ok\n", verify ? "verified" : "wrote",
	       (unsigned long long)n, (unsigned long long)start);
	return 0;
}

static int cmd_hold(struct vblk *b, int secs)
{
	int efd = svf_vfio_irq_eventfd(&b->v, VFIO_PCI_REQ_IRQ_INDEX);
	int64_t n;

	if (efd < 0)
		return die("request irq", efd);
	printf("holding\n");
	fflush(stdout);
	n = svf_wait_eventfd(efd, secs * 1000);
	close(efd);
	if (n <= 0)
		return die("no request interrupt", n ? (int)n : -ETIMEDOUT);
	printf("request received, releasing\n");
	return 0;
}

static int cmd_iops(struct vblk *b, double secs, int depth, bool write)
{
	uint64_t blocks = b->capacity / 8, done = 0, rnd = 88172645463325252ULL;
	double t0 = svf_now(), t;
	int slot, i, ret;
	uint8_t st;

	if (depth < 1 || depth > VBLK_SLOTS)
		depth = 1;
	for (i = 0; i < depth; i++) {
		rnd ^= rnd << 13; rnd ^= rnd >> 7; rnd ^= rnd << 17;
		ret = vblk_submit(b, 0, i, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
				  (rnd % blocks) * 8, 4096, i == depth - 1);
		if (ret)
			return die("submit", ret);
	}
	for (;;) {
		ret = vblk_reap(b, 0, &slot, &st, 5000);
		if (ret <= 0 || st)
			return die("completion", ret ? ret : -ETIMEDOUT);
		done++;
		t = svf_now();
		if (t - t0 >= secs)
			break;
		rnd ^= rnd << 13; rnd ^= rnd >> 7; rnd ^= rnd << 17;
		ret = vblk_submit(b, 0, slot, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
				  (rnd % blocks) * 8, 4096, true);
		if (ret)
			return die("submit", ret);
	}
	while (b->q[0].busy)
		if (vblk_reap(b, 0, &slot, &st, 5000) <= 0)
			break;
	printf("iops=%.0f ops=%llu seconds=%.2f depth=%d %s\n",
	       done / (t - t0), (unsigned long long)done, t - t0, depth,
	       write ? "write" : "read");
	return 0;
}

int main(int argc, char **argv)
{
	struct vblk b;
	int ret;

	if (argc < 3) {
		fprintf(stderr, "usage: svf-vblk DEV info|write|verify|flush|iops|hold ...\n");
		return 2;
	}
	ret = vblk_open(&b, argv[1], 1);
	if (ret)
		return die(argv[1], ret);
	if (!strcmp(argv[2], "info")) {
		ret = cmd_info(&b);
	} else if ((!strcmp(argv[2], "write") || !strcmp(argv[2], "verify")) &&
		   argc >= 5) {
		ret = cmd_rw(&b, argv[2][0] == 'v', strtoull(argv[3], NULL, 0),
			     strtoull(argv[4], NULL, 0),
			     argc > 5 ? strtoull(argv[5], NULL, 0) : 1);
	} else if (!strcmp(argv[2], "flush")) {
		ret = vblk_rw(&b, 0, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
		ret = ret ? die("flush", ret) : (printf("flushed\n"), 0);
	} else if (!strcmp(argv[2], "hold") && argc >= 4) {
		ret = cmd_hold(&b, atoi(argv[3]));
	} else if (!strcmp(argv[2], "iops") && argc >= 4) {
		ret = cmd_iops(&b, atof(argv[3]), argc > 4 ? atoi(argv[4]) : 1,
			       argc > 5 && !strcmp(argv[5], "write"));
	} else {
		fprintf(stderr, "svf-vblk: unknown command %s\n", argv[2]);
		ret = 2;
	}
	vblk_close(&b);
	return ret;
}
