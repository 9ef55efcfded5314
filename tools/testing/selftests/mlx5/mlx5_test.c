// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_mlx5 through snapvf_pci and the vfio uAPI, on the firmware model:
 * on Debian's kernel, Debian's mlx5_core loads with snapvf_mlx5 linked
 * against it (on the debug kernel, which has no mlx5_core, snapvf_mlx5 is
 * built without its hardware provider); a modelled
 * VF is published as snapvf_mlx5.vfio_pci.<fn-id> and bound to snapvf_pci;
 * STOP_COPY and PRE_COPY migrations from A to B leave B's VHCA state equal
 * to A's; an injected SAVE_VHCA_STATE failure and an image of another
 * device type fail with the errno the uAPI gives and one kernel log line
 * naming the command and syndrome; a function the firmware calls not
 * migratable is not published; a function withdrawn mid-migration fails
 * the data_fd with ENODEV; no firmware buffer (mkey) outlives a session.
 * Crafted snapvf_mlx5 streams (bad magic, image size 0, data after the
 * end, oversize image, too many images, truncated) are refused with the
 * exact errno, one line, no load and B unchanged, and split headers load;
 * a load failing after its first image says so and needs a reset; a
 * cancelled pre-copy leaves no firmware tracking.
 */
#include <fcntl.h>
#include <unistd.h>

#define SVF_PARENT_MLX5		/* parent.h: the model's knobs */
#include "../pci/mig_lib.h"
#include "svf_harness.h"
#include "svf_stream.h"

#define MODEL		"snapvf_mlx5_model"
/*
 * More state than the migration layer takes per chunk (1 MiB), so that a
 * session still holds firmware buffers after the first read.
 */
#define STATE_PAGES	512
#define STATE_LEN	(STATE_PAGES * 4096u)
#define OP_SAVE		0x118		/* MLX5_CMD_OP_SAVE_VHCA_STATE */
#define OP_LOAD		0x119		/* MLX5_CMD_OP_LOAD_VHCA_STATE */

/*
 * Is there an mlx5_core for this kernel?  Debian's kernel has one, and
 * snapvf_mlx5 then links against it (its hardware provider); the debug
 * test kernel has none, and snapvf_mlx5 is built without that provider.
 */
static int have_mlx5(void)
{
	return !svf_shell("modinfo -n mlx5_core >/dev/null 2>&1");
}

/* snapvf_mlx5_model (with snapvf_mlx5 and Debian's mlx5_core under it) */
static int model_load(void)
{
	return svf_shell("svf_modload %s state_pages=%d", MODEL, STATE_PAGES) ?
	       -EIO : 0;
}

/* Read or write the modelled VHCA's device state (debugfs "state"). */
static int state_io(const char *bdf, void *buf, size_t len, int wr)
{
	char p[PATH_MAX];
	ssize_t n;
	int fd;

	model_knob_path(p, sizeof(p), bdf, "state");
	fd = open(p, wr ? O_WRONLY : O_RDONLY);
	if (fd < 0)
		return -errno;
	n = wr ? pwrite(fd, buf, len, 0) : pread(fd, buf, len, 0);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

static int state_seed(const char *bdf, uint64_t seed)
{
	static uint8_t buf[STATE_LEN];

	fill_pattern(buf, sizeof(buf), seed);
	return state_io(bdf, buf, sizeof(buf), 1);
}

static int same_state(const char *a, const char *b)
{
	static uint8_t sa[STATE_LEN], sb[STATE_LEN];

	if (state_io(a, sa, sizeof(sa), 0) || state_io(b, sb, sizeof(sb), 0))
		return 0;
	return !memcmp(sa, sb, sizeof(sa));
}

/* "<firmware buffers> <PAGE_TRACK objects> <report receivers>" alive */
static int bufs_alive(void)
{
	char buf[64];
	unsigned int n = ~0u, t = ~0u, r = ~0u;

	if (svf_sysfs_read(MODEL_DBG "/bufs", buf, sizeof(buf)) ||
	    sscanf(buf, "%u %u %u", &n, &t, &r) != 3)
		return -1;
	return n + t + r;
}

/* Make @bdf a model VF of @dev_type, published and bound to snapvf_pci. */
static int setup_fn(const char *bdf, const char *dev_type)
{
	int ret;

	ret = parent_ensure(bdf);
	if (!ret)
		ret = model_knob(bdf, "dev_type", dev_type);
	if (ret)
		return ret;
	/* also waits for an attach snapvf_pci started by itself */
	return svf_pci_bind(bdf, SNAP_DRV);
}

FIXTURE(m5) {
	char fn[MAX_FNS][32];
	const char *a, *b;
	struct svf_vfio va, vb;
	struct mig_buf buf;
};

FIXTURE_SETUP(m5)
{
	/* what the teardown closes, also after a failed setup */
	self->va.device = self->va.group = self->va.container = -1;
	self->vb.device = self->vb.group = self->vb.container = -1;
	memset(&self->buf, 0, sizeof(self->buf));
	ASSERT_EQ(0, model_load());
	ASSERT_EQ(0, svf_modload(SNAP_DRV));
	ASSERT_GE(svf_find_pci(IVSHMEM_VENDOR, IVSHMEM_DEVICE, self->fn, MAX_FNS), 2);
	self->a = self->fn[0];
	self->b = self->fn[1];
	ASSERT_EQ(0, setup_fn(self->a, "1"));
	ASSERT_EQ(0, setup_fn(self->b, "1"));
	ASSERT_EQ(0, svf_vfio_open(&self->va, self->a));
	ASSERT_EQ(0, svf_vfio_open(&self->vb, self->b));
	ASSERT_EQ(0, state_seed(self->a, 1));
	ASSERT_EQ(0, state_seed(self->b, 2));
}

FIXTURE_TEARDOWN(m5)
{
	mig_buf_free(&self->buf);
	svf_vfio_close(&self->va);
	svf_vfio_close(&self->vb);
}

/* Debian's mlx5_core is what snapvf_mlx5 linked against; A is published. */
TEST_F(m5, published)
{
	char drv[64], st[32];
	uint64_t flags = 0;

	/* on Debian's kernel, snapvf_mlx5 pulled in Debian's mlx5_core */
	EXPECT_EQ(have_mlx5(), svf_mod_loaded("mlx5_core"));
	EXPECT_TRUE(svf_mod_loaded("snapvf_mlx5"));
	EXPECT_TRUE(parent_published(self->a));
	ASSERT_EQ(0, svf_vfio_driver_of(self->a, drv, sizeof(drv)));
	EXPECT_STREQ(SNAP_DRV, drv);
	ASSERT_EQ(0, svf_vfio_mig_flags(&self->va, &flags));
	EXPECT_EQ(VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P |
		  VFIO_MIGRATION_PRE_COPY, flags);
	ASSERT_EQ(0, model_knob_read(self->a, "vhca_state", st, sizeof(st)));
	EXPECT_STREQ("running", st);
}

TEST_F(m5, stop_copy)
{
	char st[32];

	EXPECT_FALSE(same_state(self->a, self->b));
	ASSERT_EQ(0, mig_save(&self->va, &self->buf, 0, NULL, NULL, NULL));
	ASSERT_EQ(0, model_knob_read(self->a, "vhca_state", st, sizeof(st)));
	EXPECT_STREQ("suspended", st);
	EXPECT_GT(self->buf.len, STATE_LEN);
	ASSERT_EQ(0, mig_load(&self->vb, &self->buf, self->buf.len, NULL));
	ASSERT_EQ(0, model_knob_read(self->b, "vhca_state", st, sizeof(st)));
	EXPECT_STREQ("running", st);
	EXPECT_TRUE(same_state(self->a, self->b));
	EXPECT_EQ(0, bufs_alive()) TH_LOG("firmware buffers left after the sessions");
}

/*
 * Size estimates come from QUERY_VHCA_MIGRATION_STATE: MIG_DATA_SIZE
 * covers the whole state; PRE_COPY starts with all of it initial and
 * nothing dirty; a drained round with no change reports nothing due; a
 * page written while tracked shows up as dirty bytes and is what the next
 * round carries.
 */
TEST_F(m5, estimates)
{
	uint64_t size = 0, initial, dirty;
	uint8_t page[4096];
	int64_t n;
	int fd;

	ASSERT_EQ(0, svf_vfio_mig_data_size(&self->va, &size));
	EXPECT_GE(size, STATE_LEN);
	EXPECT_LT(size, 2 * STATE_LEN) TH_LOG("estimate %llu", (unsigned long long)size);
	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_PRE_COPY, &fd));
	ASSERT_EQ(0, svf_vfio_precopy_info(fd, &initial, &dirty));
	EXPECT_GE(initial, STATE_LEN);
	EXPECT_EQ(0, dirty);
	/* what the parent said, plus the migration layer's record framing */
	n = mig_buf_fill(&self->buf, fd, 0);
	EXPECT_GE(n, (int64_t)initial);
	EXPECT_LE(n, (int64_t)initial + 256) TH_LOG("read %lld, initial %llu",
						    (long long)n, (unsigned long long)initial);
	ASSERT_EQ(0, svf_vfio_precopy_info(fd, &initial, &dirty));
	EXPECT_EQ(0, initial);
	EXPECT_EQ(0, dirty) TH_LOG("a round without changes reports %llu bytes",
				   (unsigned long long)dirty);
	fill_pattern(page, sizeof(page), 77);
	ASSERT_EQ(0, state_io(self->a, page, sizeof(page), 1));
	ASSERT_EQ(0, svf_vfio_precopy_info(fd, &initial, &dirty));
	EXPECT_GE(dirty, sizeof(page));
	EXPECT_LT(dirty, 2 * sizeof(page));
	n = mig_buf_fill(&self->buf, fd, 0);
	EXPECT_GE(n, (int64_t)dirty);
	EXPECT_LE(n, (int64_t)dirty + 64);
	close(fd);
	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_RUNNING, NULL));
	EXPECT_EQ(0, bufs_alive());
}

/* Each arc is the VHCA command the state needs, seen in the model. */
TEST_F(m5, arcs)
{
	static const struct {
		uint32_t state;
		const char *vhca;
	} path[] = {
		{ VFIO_DEVICE_STATE_RUNNING_P2P, "initiator_suspended" },
		{ VFIO_DEVICE_STATE_STOP, "suspended" },
		{ VFIO_DEVICE_STATE_RUNNING_P2P, "initiator_suspended" },
		{ VFIO_DEVICE_STATE_RUNNING, "running" },
		{ VFIO_DEVICE_STATE_STOP, "suspended" },
		{ VFIO_DEVICE_STATE_RUNNING, "running" },
	};
	char st[32];
	unsigned int i;

	for (i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
		ASSERT_EQ(0, svf_vfio_mig_set(&self->va, path[i].state, NULL))
			TH_LOG("-> %s", svf_mig_state_name(path[i].state));
		ASSERT_EQ(0, model_knob_read(self->a, "vhca_state", st, sizeof(st)));
		EXPECT_STREQ(path[i].vhca, st) TH_LOG("after arc %u", i);
	}
}

struct touch_ctx {
	const char *bdf;
	int fails;
};

/* The VHCA "in use": rewrite page 3 + round between pre-copy rounds. */
static void touch(void *opaque, int round)
{
	struct touch_ctx *t = opaque;
	char p[PATH_MAX];
	uint8_t page[4096];
	int fd;

	fill_pattern(page, sizeof(page), 100 + round);
	model_knob_path(p, sizeof(p), t->bdf, "state");
	fd = open(p, O_WRONLY);
	if (fd < 0 || pwrite(fd, page, sizeof(page), (3 + round) * 4096) != 4096)
		t->fails++;
	if (fd >= 0)
		close(fd);
}

TEST_F(m5, pre_copy)
{
	struct touch_ctx t = { .bdf = self->a };
	struct mig_stats st;

	ASSERT_EQ(0, mig_save(&self->va, &self->buf, 3, touch, &t, &st));
	EXPECT_EQ(0, t.fails);
	EXPECT_EQ(3, st.rounds);
	EXPECT_GE(st.precopy_bytes, STATE_LEN) TH_LOG("round 0 carries it all");
	EXPECT_GT(st.last_dirty, 0) TH_LOG("pages written between rounds are dirty");
	EXPECT_LT(st.stop_bytes, STATE_LEN / 2)
		TH_LOG("stop-copy carries only what changed: %llu bytes",
		       (unsigned long long)st.stop_bytes);
	ASSERT_EQ(0, mig_load(&self->vb, &self->buf, self->buf.len, NULL));
	EXPECT_TRUE(same_state(self->a, self->b));
	EXPECT_EQ(0, bufs_alive());
}

/* SAVE_VHCA_STATE fails with BAD_PARAM: EINVAL on the data_fd, one line. */
TEST_F(m5, save_fails)
{
	char val[32];
	uint32_t state;
	int kfd, ret;

	snprintf(val, sizeof(val), "0x%x", OP_SAVE);
	ASSERT_EQ(0, model_knob(self->a, "fail_opcode", val));
	ASSERT_EQ(0, model_knob(self->a, "fail_status", "0x3"));
	ASSERT_EQ(0, model_knob(self->a, "fail_syndrome", "0x5a5a0118"));
	kfd = kmsg_mark();
	ASSERT_LE(0, kfd);
	ret = mig_save(&self->va, &self->buf, 0, NULL, NULL, NULL);
	EXPECT_EQ(-EINVAL, ret);
	EXPECT_EQ(1, kmsg_count(kfd, "SAVE_VHCA_STATE failed", "syndrome 0x5a5a0118"));
	close(kfd);
	ASSERT_EQ(0, model_knob_read(self->a, "fail_fired", val, sizeof(val)));
	EXPECT_STREQ("1", val);
	ASSERT_EQ(0, svf_vfio_mig_get(&self->va, &state));
	EXPECT_EQ(VFIO_DEVICE_STATE_STOP_COPY, state);
	ASSERT_EQ(0, svf_vfio_reset(&self->va));
	EXPECT_EQ(0, bufs_alive());
	/* and the function migrates after the reset */
	self->buf.len = 0;
	ASSERT_EQ(0, mig_save(&self->va, &self->buf, 0, NULL, NULL, NULL));
	ASSERT_EQ(0, mig_load(&self->vb, &self->buf, self->buf.len, NULL));
	EXPECT_TRUE(same_state(self->a, self->b));
}

/* An image of another device type: the firmware refuses it at load. */
TEST_F(m5, other_device_type)
{
	static uint8_t before[STATE_LEN], after[STATE_LEN];
	uint32_t state;
	int kfd;

	ASSERT_EQ(0, model_knob(self->b, "dev_type", "2"));
	ASSERT_EQ(0, state_io(self->b, before, sizeof(before), 0));
	ASSERT_EQ(0, mig_save(&self->va, &self->buf, 0, NULL, NULL, NULL));
	kfd = kmsg_mark();
	ASSERT_LE(0, kfd);
	/*
	 * The stream is well formed, so the layer commits it and the firmware
	 * refuses the image (BAD_PARAM): EINVAL from RESUMING -> STOP, ERROR.
	 */
	EXPECT_EQ(-EINVAL, mig_load(&self->vb, &self->buf, self->buf.len, NULL));
	EXPECT_EQ(1, kmsg_count(kfd, "LOAD_VHCA_STATE failed", "syndrome 0x5e000007"));
	close(kfd);
	ASSERT_EQ(0, svf_vfio_mig_get(&self->vb, &state));
	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, state);
	ASSERT_EQ(0, state_io(self->b, after, sizeof(after), 0));
	EXPECT_EQ(0, memcmp(before, after, sizeof(before))) TH_LOG("nothing applied");
	ASSERT_EQ(0, svf_vfio_reset(&self->vb));
	EXPECT_EQ(0, bufs_alive());
	ASSERT_EQ(0, model_knob(self->b, "dev_type", "1"));
}

/* ---- crafted streams for snapvf_mlx5's own record parser ---- */

/*
 * snapvf_mlx5's bytes inside the migration layer's records
 * (Documentation/driver-api/mlx5.rst): 16-byte little-endian headers
 * (magic, version 1, type 1 image / 2 end, size, reserved 0), each image
 * followed by its bytes.  The tests take a real stream saved from A, pull
 * out those bytes, change them, and frame them again into a valid
 * migration stream, so that only snapvf_mlx5's parser can object.
 */
#define M5_MAGIC	0x4d355649
#define M5_HDR		16
#define M5_IMAGE	1
#define M5_END		2
#define M5_MAX_REC	(1u << 20)	/* migration record payloads we build */

struct m5_stream {
	uint64_t compat_id;
	uint32_t features;
	uint16_t type;			/* the device's record type */
	uint8_t *m5;			/* snapvf_mlx5's bytes */
	size_t len;
	size_t cap;
};

static int m5_put(struct m5_stream *m, const void *p, size_t len)
{
	if (m->cap - m->len < len) {
		size_t cap = (m->len + len) * 2;
		void *n = realloc(m->m5, cap);

		if (!n)
			return -ENOMEM;
		m->m5 = n;
		m->cap = cap;
	}
	memcpy(m->m5 + m->len, p, len);
	m->len += len;
	return 0;
}

static int m5_put_hdr(struct m5_stream *m, uint32_t magic, uint16_t type,
		      uint32_t size)
{
	uint8_t h[M5_HDR] = { 0 };
	uint32_t v32;
	uint16_t v16;

	v32 = htole32(magic);
	memcpy(h, &v32, 4);
	v16 = htole16(1);
	memcpy(h + 4, &v16, 2);
	v16 = htole16(type);
	memcpy(h + 6, &v16, 2);
	v32 = htole32(size);
	memcpy(h + 8, &v32, 4);
	return m5_put(m, h, sizeof(h));
}

/* Save A (STOP_COPY) and keep its framing and its snapvf_mlx5 bytes. */
static int m5_learn(struct svf_vfio *va, struct m5_stream *m)
{
	struct mig_buf b = { 0 };
	struct svf_stream_hdr h;
	struct svf_rec_info r[64];
	int i, n, ret;

	memset(m, 0, sizeof(*m));
	ret = mig_save(va, &b, 0, NULL, NULL, NULL);
	if (!ret)
		ret = svf_stream_get_hdr(b.data, b.len, &h);
	if (ret)
		goto out;
	m->compat_id = le64toh(h.compat_id);
	m->features = le32toh(h.features);
	n = svf_stream_records(b.data, b.len, r, 64);
	if (n < 2 || n == 64) {
		ret = -EPROTO;
		goto out;
	}
	m->type = r[0].type;
	for (i = 0; !ret && i < n; i++)
		if (r[i].type != SVF_REC_END)
			ret = m5_put(m, b.data + r[i].off + SVF_REC_SIZE,
				     r[i].len);
out:
	mig_buf_free(&b);
	return ret;
}

/*
 * Frame @len bytes of @m5 into a migration stream, one record per piece:
 * a piece ends at each of the @ncuts offsets and after M5_MAX_REC bytes.
 * Returns the stream (malloc'ed) and its length in *@slen, or NULL.
 */
static uint8_t *m5_frame(const struct m5_stream *m, const uint8_t *m5,
			 size_t len, const size_t *cuts, int ncuts,
			 size_t *slen)
{
	size_t at = 0, next, npieces = 0, room;
	const void **payloads;
	uint32_t *lens;
	uint16_t *types;
	uint8_t *s = NULL;
	int c = 0;

	room = len / M5_MAX_REC + ncuts + 2;
	payloads = calloc(room, sizeof(*payloads));
	lens = calloc(room, sizeof(*lens));
	types = calloc(room, sizeof(*types));
	if (!payloads || !lens || !types)
		goto out;
	while (at < len) {
		next = at + M5_MAX_REC < len ? at + M5_MAX_REC : len;
		while (c < ncuts && cuts[c] <= at)
			c++;
		if (c < ncuts && cuts[c] < next)
			next = cuts[c];
		payloads[npieces] = m5 + at;
		lens[npieces] = next - at;
		types[npieces] = m->type;
		npieces++;
		at = next;
	}
	s = malloc(SVF_HDR_SIZE + (npieces + 1) * SVF_REC_SIZE +
		   sizeof(struct svf_stream_end) + len);
	if (s)
		*slen = svf_stream_build(s, m->compat_id, m->features, types,
					 payloads, lens, npieces);
out:
	free(payloads);
	free(lens);
	free(types);
	return s;
}

/* The parent's verdict on a crafted stream, and what it left behind. */
struct m5_result {
	int write_err;		/* first failed write(): -errno, else 0 */
	int commit_err;		/* RESUMING -> STOP, if every write passed */
	int parent_lines;	/* lines of snapvf_mlx5 containing @needle */
	int layer_lines;	/* layer lines "refused by the device (<errno>)" */
	int bufs;		/* firmware buffers alive after the session */
	int loads;		/* a LOAD_VHCA_STATE reached B */
	int unchanged;		/* B's device state as before */
};

/*
 * Write the stream into B in write() calls of at most @wmax bytes, then
 * RESUMING -> STOP if every write passed.  An injected LOAD_VHCA_STATE
 * failure is armed on B to count the loads that reach the firmware.
 */
static int m5_try(struct svf_vfio *vb, const char *b, const uint8_t *s,
		  size_t len, size_t wmax, const char *needle,
		  const char *layer_errno, struct m5_result *res)
{
	static uint8_t before[STATE_LEN], after[STATE_LEN];
	char fired[32], fired0[32], lerr[64];
	int fd, k1, k2, ret;
	size_t done = 0, n;
	ssize_t w;

	memset(res, 0, sizeof(*res));
	ret = state_io(b, before, sizeof(before), 0);
	/* fail_fired counts for the module's life: compare, not test for 0 */
	if (!ret)
		ret = model_knob_read(b, "fail_fired", fired0, sizeof(fired0));
	if (!ret) {
		snprintf(fired, sizeof(fired), "0x%x", OP_LOAD);
		ret = model_knob(b, "fail_opcode", fired);
	}
	if (!ret)
		ret = svf_vfio_mig_set(vb, VFIO_DEVICE_STATE_STOP, NULL);
	if (ret)
		return ret;
	k1 = kmsg_mark();
	k2 = kmsg_mark();
	ret = svf_vfio_mig_set(vb, VFIO_DEVICE_STATE_RESUMING, &fd);
	if (ret)
		goto out;
	while (done < len) {
		n = len - done < wmax ? len - done : wmax;
		w = write(fd, s + done, n);
		if (w <= 0) {
			res->write_err = w < 0 ? -errno : -EIO;
			break;
		}
		done += w;
	}
	if (!res->write_err)
		res->commit_err = svf_vfio_mig_set(vb, VFIO_DEVICE_STATE_STOP,
						   NULL);
	res->bufs = bufs_alive();
	close(fd);
	res->parent_lines = kmsg_count(k1, "snapvf_mlx5: ", needle);
	snprintf(lerr, sizeof(lerr), "refused by the device (%s)",
		 layer_errno ? layer_errno : "");
	res->layer_lines = kmsg_count(k2, lerr, NULL);
	ret = model_knob_read(b, "fail_fired", fired, sizeof(fired));
	if (!ret)
		res->loads = strcmp(fired, fired0) != 0;
	if (!ret)
		ret = state_io(b, after, sizeof(after), 0);
	res->unchanged = !memcmp(before, after, sizeof(before));
out:
	model_knob(b, "fail_opcode", "0");
	if (k1 >= 0)
		close(k1);
	if (k2 >= 0)
		close(k2);
	if (!ret)
		ret = svf_vfio_reset(vb);
	return ret;
}

/* A stream the parser refuses at write(): EINVAL, nothing loaded. */
#define EXPECT_REFUSED(res, errstr)					\
	do {								\
		EXPECT_EQ(-EINVAL, (res).write_err);			\
		EXPECT_EQ(1, (res).parent_lines);			\
		EXPECT_EQ(1, (res).layer_lines) TH_LOG("layer: %s", errstr); \
		EXPECT_EQ(0, (res).bufs) TH_LOG("firmware buffers left"); \
		EXPECT_EQ(0, (res).loads) TH_LOG("a LOAD reached the firmware"); \
		EXPECT_TRUE((res).unchanged) TH_LOG("B's state changed"); \
	} while (0)

/* An image record of @size bytes, then an END record. */
static int m5_one_image(struct m5_stream *m, uint32_t magic, uint32_t size)
{
	static uint8_t data[4096];
	uint32_t left = size;
	int ret;

	memset(data, 0xa5, sizeof(data));
	ret = m5_put_hdr(m, magic, M5_IMAGE, size);
	while (!ret && left) {
		uint32_t n = left < sizeof(data) ? left : sizeof(data);

		ret = m5_put(m, data, n);
		left -= n;
	}
	return ret ? ret : m5_put_hdr(m, M5_MAGIC, M5_END, 0);
}

TEST_F(m5, crafted_bad_magic)
{
	struct m5_stream m;
	struct m5_result r;
	uint8_t *s;
	size_t len;

	ASSERT_EQ(0, m5_learn(&self->va, &m));
	m.len = 0;
	ASSERT_EQ(0, m5_one_image(&m, 0x12345678, 64));
	s = m5_frame(&m, m.m5, m.len, NULL, 0, &len);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, m5_try(&self->vb, self->b, s, len, MIG_CHUNK,
			    "not a VHCA image stream (magic 0x12345678", "-22", &r));
	EXPECT_REFUSED(r, "-22");
	free(s);
	free(m.m5);
}

TEST_F(m5, crafted_record_size_zero)
{
	struct m5_stream m;
	struct m5_result r;
	uint8_t *s;
	size_t len;

	ASSERT_EQ(0, m5_learn(&self->va, &m));
	m.len = 0;
	ASSERT_EQ(0, m5_one_image(&m, M5_MAGIC, 0));
	s = m5_frame(&m, m.m5, m.len, NULL, 0, &len);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, m5_try(&self->vb, self->b, s, len, MIG_CHUNK,
			    "bad record (type 1, 0 bytes)", "-22", &r));
	EXPECT_REFUSED(r, "-22");
	free(s);
	free(m.m5);
}

/* A's whole stream, then one more header after its end record. */
TEST_F(m5, crafted_data_after_end)
{
	struct m5_stream m;
	struct m5_result r;
	uint8_t *s;
	size_t len, cut;

	ASSERT_EQ(0, m5_learn(&self->va, &m));
	cut = m.len;
	ASSERT_EQ(0, m5_put_hdr(&m, M5_MAGIC, M5_IMAGE, 8));
	s = m5_frame(&m, m.m5, m.len, &cut, 1, &len);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, m5_try(&self->vb, self->b, s, len, MIG_CHUNK,
			    "data after the end of the stream", "-22", &r));
	EXPECT_REFUSED(r, "-22");
	free(s);
	free(m.m5);
}

/*
 * A's stream with its first two record headers split across migration
 * records (two load_chunk calls each) and across write() calls: loads,
 * and B equals A.
 */
TEST_F(m5, crafted_split_header)
{
	struct m5_stream m;
	size_t cuts[2], len, done = 0, n;
	uint32_t first;
	uint8_t *s;
	ssize_t w;
	int fd;

	ASSERT_EQ(0, m5_learn(&self->va, &m));
	memcpy(&first, m.m5 + 8, 4);
	cuts[0] = 7;
	cuts[1] = M5_HDR + le32toh(first) + 9;
	ASSERT_LT(cuts[1], m.len);
	s = m5_frame(&m, m.m5, m.len, cuts, 2, &len);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, svf_vfio_mig_set(&self->vb, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(0, svf_vfio_mig_set(&self->vb, VFIO_DEVICE_STATE_RESUMING, &fd));
	while (done < len) {
		n = len - done < 4093 ? len - done : 4093;
		w = write(fd, s + done, n);
		ASSERT_LT(0, w) TH_LOG("write at %zu: %s", done, strerror(errno));
		done += w;
	}
	EXPECT_EQ(0, svf_vfio_mig_set(&self->vb, VFIO_DEVICE_STATE_STOP, NULL));
	close(fd);
	EXPECT_TRUE(same_state(self->a, self->b));
	EXPECT_EQ(0, bufs_alive());
	free(s);
	free(m.m5);
}

/*
 * An image larger than the destination stages: refused at its header,
 * before any byte of it, with EFBIG from snapvf_mlx5 (EINVAL from the
 * layer's write()).  128 MiB is under the old fixed 256 MiB image cap and
 * over what a 2 MiB function stages (8 full images, at least 64 MiB).
 */
TEST_F(m5, crafted_oversize_record)
{
	struct m5_stream m;
	struct m5_result r;
	uint8_t *s;
	size_t len;

	ASSERT_EQ(0, m5_learn(&self->va, &m));
	m.len = 0;
	ASSERT_EQ(0, m5_put_hdr(&m, M5_MAGIC, M5_IMAGE, 128u << 20));
	s = m5_frame(&m, m.m5, m.len, NULL, 0, &len);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, m5_try(&self->vb, self->b, s, len, MIG_CHUNK,
			    "over the limits", "-27", &r));
	EXPECT_REFUSED(r, "-27");
	free(s);
	free(m.m5);
}

/*
 * More images than a load session stages: 16384 (however many pre-copy
 * rounds a busy source sends, which its state size does not bound); the
 * 16385th is refused (EFBIG).
 */
TEST_F(m5, crafted_too_many_images)
{
	struct m5_stream m;
	struct m5_result r;
	uint8_t one = 0x5a;
	uint8_t *s;
	size_t len;
	int i;

	ASSERT_EQ(0, m5_learn(&self->va, &m));
	m.len = 0;
	for (i = 0; i < 16400; i++) {
		ASSERT_EQ(0, m5_put_hdr(&m, M5_MAGIC, M5_IMAGE, 1));
		ASSERT_EQ(0, m5_put(&m, &one, 1));
	}
	ASSERT_EQ(0, m5_put_hdr(&m, M5_MAGIC, M5_END, 0));
	s = m5_frame(&m, m.m5, m.len, NULL, 0, &len);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, m5_try(&self->vb, self->b, s, len, MIG_CHUNK,
			    "image 16385 of 1 bytes over the limits", "-27", &r));
	EXPECT_REFUSED(r, "-27");
	free(s);
	free(m.m5);
}

/*
 * A's stream without its end record and the last 100 bytes of its last
 * image, in a well-framed migration stream: every write passes, the
 * commit fails with EINVAL before any LOAD_VHCA_STATE.
 */
TEST_F(m5, crafted_truncated)
{
	struct m5_stream m;
	struct m5_result r;
	uint8_t *s;
	size_t len;

	ASSERT_EQ(0, m5_learn(&self->va, &m));
	ASSERT_GT(m.len, M5_HDR + 100);
	s = m5_frame(&m, m.m5, m.len - M5_HDR - 100, NULL, 0, &len);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, m5_try(&self->vb, self->b, s, len, MIG_CHUNK,
			    "load: stream truncated", NULL, &r));
	EXPECT_EQ(0, r.write_err);
	EXPECT_EQ(-EINVAL, r.commit_err);
	EXPECT_EQ(1, r.parent_lines);
	EXPECT_EQ(0, r.bufs);
	EXPECT_EQ(0, r.loads) TH_LOG("a LOAD reached the firmware");
	EXPECT_TRUE(r.unchanged);
	free(s);
	free(m.m5);
}

/*
 * The firmware fails the second LOAD_VHCA_STATE of a commit: the first
 * image is in, which snapvf_mlx5 says (one line) besides the command's
 * own line; migration is ERROR, and the reset brings B back to a
 * function that migrates.
 */
TEST_F(m5, load_fails_after_first_image)
{
	static uint8_t before[STATE_LEN], after[STATE_LEN];
	char val[32];
	uint32_t state;
	int kfd, kfd2;

	ASSERT_EQ(0, mig_save(&self->va, &self->buf, 0, NULL, NULL, NULL));
	ASSERT_EQ(0, state_io(self->b, before, sizeof(before), 0));
	snprintf(val, sizeof(val), "0x%x", OP_LOAD);
	ASSERT_EQ(0, model_knob(self->b, "fail_opcode", val));
	ASSERT_EQ(0, model_knob(self->b, "fail_skip", "1"));
	ASSERT_EQ(0, model_knob(self->b, "fail_status", "0x6"));
	ASSERT_EQ(0, model_knob(self->b, "fail_syndrome", "0x5a5a0119"));
	kfd = kmsg_mark();
	kfd2 = kmsg_mark();
	ASSERT_LE(0, kfd);
	ASSERT_LE(0, kfd2);
	EXPECT_EQ(-EBUSY, mig_load(&self->vb, &self->buf, self->buf.len, NULL));
	EXPECT_EQ(1, kmsg_count(kfd, "LOAD_VHCA_STATE failed", "syndrome 0x5a5a0119"));
	EXPECT_EQ(1, kmsg_count(kfd2, "1 of 128 images applied", "needs a reset"));
	close(kfd);
	close(kfd2);
	ASSERT_EQ(0, svf_vfio_mig_get(&self->vb, &state));
	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, state);
	ASSERT_EQ(0, model_knob_read(self->b, "vhca_state", val, sizeof(val)));
	EXPECT_STREQ("suspended", val) TH_LOG("a partly loaded VHCA must not run");
	ASSERT_EQ(0, state_io(self->b, after, sizeof(after), 0));
	EXPECT_NE(0, memcmp(before, after, sizeof(before))) TH_LOG("image 1 is in");
	EXPECT_FALSE(same_state(self->a, self->b));
	EXPECT_EQ(0, bufs_alive());
	ASSERT_EQ(0, svf_vfio_reset(&self->vb));
	ASSERT_EQ(0, mig_load(&self->vb, &self->buf, self->buf.len, NULL));
	EXPECT_TRUE(same_state(self->a, self->b));
}

/*
 * A pre-copy cancelled (PRE_COPY -> RUNNING, and PRE_COPY_P2P ->
 * RUNNING_P2P) leaves no firmware tracking, the function running as
 * before and its state untouched; a completed pre-copy migration leaves
 * none either.
 */
TEST_F(m5, pre_copy_cancel_stops_tracking)
{
	static uint8_t before[STATE_LEN], after[STATE_LEN];
	char chunk[4096], val[32];
	int fd, kfd;

	ASSERT_EQ(0, model_knob_read(self->a, "tracking", val, sizeof(val)));
	EXPECT_STREQ("N", val);
	ASSERT_EQ(0, state_io(self->a, before, sizeof(before), 0));
	kfd = kmsg_mark();
	ASSERT_LE(0, kfd);

	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_PRE_COPY, &fd));
	ASSERT_EQ((ssize_t)sizeof(chunk), read(fd, chunk, sizeof(chunk)));
	ASSERT_EQ(0, model_knob_read(self->a, "tracking", val, sizeof(val)));
	EXPECT_STREQ("Y", val) TH_LOG("pre-copy tracks");
	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_RUNNING, NULL));
	close(fd);
	ASSERT_EQ(0, model_knob_read(self->a, "tracking", val, sizeof(val)));
	EXPECT_STREQ("N", val) TH_LOG("tracking left on after a cancelled pre-copy");
	ASSERT_EQ(0, model_knob_read(self->a, "vhca_state", val, sizeof(val)));
	EXPECT_STREQ("running", val);

	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_RUNNING_P2P, NULL));
	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_PRE_COPY_P2P, &fd));
	ASSERT_EQ((ssize_t)sizeof(chunk), read(fd, chunk, sizeof(chunk)));
	ASSERT_EQ(0, model_knob_read(self->a, "tracking", val, sizeof(val)));
	EXPECT_STREQ("Y", val);
	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_RUNNING_P2P, NULL));
	close(fd);
	ASSERT_EQ(0, model_knob_read(self->a, "tracking", val, sizeof(val)));
	EXPECT_STREQ("N", val);
	ASSERT_EQ(0, model_knob_read(self->a, "vhca_state", val, sizeof(val)));
	EXPECT_STREQ("initiator_suspended", val);
	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_RUNNING, NULL));

	EXPECT_EQ(0, kmsg_count(kfd, "cannot stop firmware tracking", NULL));
	close(kfd);
	ASSERT_EQ(0, state_io(self->a, after, sizeof(after), 0));
	EXPECT_EQ(0, memcmp(before, after, sizeof(before)));
	EXPECT_EQ(0, bufs_alive());

	/* a completed pre-copy migration: the final save stopped it */
	ASSERT_EQ(0, mig_save(&self->va, &self->buf, 2, NULL, NULL, NULL));
	ASSERT_EQ(0, model_knob_read(self->a, "tracking", val, sizeof(val)));
	EXPECT_STREQ("N", val);
	ASSERT_EQ(0, mig_load(&self->vb, &self->buf, self->buf.len, NULL));
	EXPECT_TRUE(same_state(self->a, self->b));
}

/*
 * Round 0 fails after its first chunks turned tracking on (the sixth
 * SAVE_VHCA_STATE, in the arc to PRE_COPY): no save_end follows a failed
 * start, so the start stops the tracking itself; the arc fails with the
 * firmware's errno and one line, before any reset.
 */
TEST_F(m5, failed_round0_stops_tracking)
{
	char val[32];
	int kfd, fd = -1;
	long fired;

	ASSERT_EQ(0, model_knob_read(self->a, "fail_fired", val, sizeof(val)));
	fired = strtol(val, NULL, 10);
	ASSERT_EQ(0, model_knob(self->a, "fail_skip", "5"));
	ASSERT_EQ(0, model_knob(self->a, "fail_status", "0x6"));
	ASSERT_EQ(0, model_knob(self->a, "fail_opcode", "0x118"));
	kfd = kmsg_mark();
	ASSERT_LE(0, kfd);
	EXPECT_EQ(-EBUSY, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_PRE_COPY, &fd));
	EXPECT_EQ(1, kmsg_count(kfd, "SAVE_VHCA_STATE failed", NULL));
	EXPECT_EQ(0, kmsg_count(kfd, "cannot stop firmware tracking", NULL));
	close(kfd);
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(0, model_knob_read(self->a, "fail_fired", val, sizeof(val)));
	EXPECT_EQ(fired + 1, strtol(val, NULL, 10));
	ASSERT_EQ(0, model_knob_read(self->a, "tracking", val, sizeof(val)));
	EXPECT_STREQ("N", val) TH_LOG("tracking left on by a failed round 0");
	ASSERT_EQ(0, model_knob_read(self->a, "vhca_state", val, sizeof(val)));
	EXPECT_STREQ("running", val);
	EXPECT_EQ(0, bufs_alive());
	ASSERT_EQ(0, svf_vfio_reset(&self->va));
}

/**
 * struct fw_fault - one firmware command failing during a migration
 * @cmd: how snapvf_mlx5 names it in its log line
 * @opcode: MLX5_CMD_OP_*
 * @skip: commands of that opcode that succeed first
 * @dest: on the destination (load side), else on the source
 * @rounds: pre-copy rounds of the save
 */
struct fw_fault {
	const char *cmd;
	unsigned int opcode, skip;
	int dest, rounds;
};

/* Round 0 of the model's 512 pages is 128 chunks (chunk_pages 4). */
static const struct fw_fault fw_faults[] = {
	{ "SUSPEND_VHCA(initiator)", 0x115, 0, 0, 0 },
	{ "SUSPEND_VHCA(responder)", 0x115, 1, 0, 0 },
	{ "QUERY_VHCA_MIGRATION_STATE", 0x117, 0, 0, 0 },
	{ "QUERY_VHCA_MIGRATION_STATE", 0x117, 0, 0, 2 },
	{ "SAVE_VHCA_STATE", 0x118, 1, 0, 0 },		/* second chunk */
	{ "SAVE_VHCA_STATE", 0x118, 0, 0, 2 },		/* round 0 */
	{ "SAVE_VHCA_STATE", 0x118, 128, 0, 2 },	/* round 1 */
	{ "SUSPEND_VHCA(initiator)", 0x115, 0, 1, 0 },
	{ "LOAD_VHCA_STATE", 0x119, 0, 1, 0 },
	{ "LOAD_VHCA_STATE", 0x119, 1, 1, 0 },		/* second image */
	{ "RESUME_VHCA(responder)", 0x116, 0, 1, 0 },
	{ "RESUME_VHCA(initiator)", 0x116, 1, 1, 0 },
};

/*
 * Every VHCA command failing at each step of save and load: the step
 * fails with the firmware status's errno (RES_BUSY: EBUSY), snapvf_mlx5
 * logs exactly one line naming the command and syndrome, a reset brings
 * both functions back, no firmware buffer is left, and the next migration
 * works.
 */
TEST_F(m5, every_command_fails)
{
	struct touch_ctx t = { .bdf = self->a };
	char val[64], syn[32], fired[48];
	const struct fw_fault *f;
	unsigned int i;
	int kfd, ret;

	for (i = 0; i < sizeof(fw_faults) / sizeof(fw_faults[0]); i++) {
		const char *bdf;

		f = &fw_faults[i];
		bdf = f->dest ? self->b : self->a;
		self->buf.len = 0;
		snprintf(val, sizeof(val), "0x%x", f->opcode);
		ASSERT_EQ(0, model_knob(bdf, "fail_opcode", val));
		snprintf(val, sizeof(val), "%u", f->skip);
		ASSERT_EQ(0, model_knob(bdf, "fail_skip", val));
		ASSERT_EQ(0, model_knob(bdf, "fail_status", "0x6"));
		snprintf(syn, sizeof(syn), "0x5a00%04x", i);
		ASSERT_EQ(0, model_knob(bdf, "fail_syndrome", syn));
		kfd = kmsg_mark();
		ASSERT_LE(0, kfd);
		ret = mig_save(&self->va, &self->buf, f->rounds,
			       f->rounds ? touch : NULL, &t, NULL);
		if (f->dest) {
			ASSERT_EQ(0, ret) TH_LOG("case %u: source save", i);
			ret = mig_load(&self->vb, &self->buf, self->buf.len, NULL);
		}
		EXPECT_EQ(-EBUSY, ret) TH_LOG("case %u: %s", i, f->cmd);
		snprintf(val, sizeof(val), "%s failed", f->cmd);
		snprintf(fired, sizeof(fired), "syndrome %s", syn);
		EXPECT_EQ(1, kmsg_count(kfd, val, fired))
			TH_LOG("case %u: one line for %s", i, f->cmd);
		close(kfd);
		ASSERT_EQ(0, model_knob_read(bdf, "fail_fired", fired, sizeof(fired)));
		ASSERT_EQ(0, model_knob(bdf, "fail_opcode", "0"));
		ASSERT_EQ(0, svf_vfio_reset(&self->va));
		ASSERT_EQ(0, svf_vfio_reset(&self->vb));
		EXPECT_EQ(0, bufs_alive()) TH_LOG("case %u: buffers left", i);
	}
	EXPECT_EQ(0, t.fails);
	self->buf.len = 0;
	ASSERT_EQ(0, state_seed(self->a, 9));
	ASSERT_EQ(0, mig_save(&self->va, &self->buf, 1, NULL, NULL, NULL));
	ASSERT_EQ(0, mig_load(&self->vb, &self->buf, self->buf.len, NULL));
	EXPECT_TRUE(same_state(self->a, self->b));
}

/*
 * The function goes away (its PF, here the model, withdraws it) in the
 * middle of a pre-copy save: the data_fd fails with ENODEV, migration is
 * ERROR, the session's firmware buffers are freed at the withdrawal, and
 * once closed the function is unbound and can be published again.
 */
TEST_F(m5, withdrawn_mid_pre_copy)
{
	struct mig_buf b = { 0 };
	char chunk[4096];
	uint32_t state;
	int fd;

	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_PRE_COPY, &fd));
	ASSERT_EQ((ssize_t)sizeof(chunk), read(fd, chunk, sizeof(chunk)));
	EXPECT_GT(bufs_alive(), 0) TH_LOG("round 0 is held in firmware buffers");
	ASSERT_EQ(0, svf_sysfs_write(MODEL_DBG "/del_vf", self->a));
	EXPECT_FALSE(parent_published(self->a));
	EXPECT_EQ(0, bufs_alive()) TH_LOG("buffers left after the withdrawal");
	EXPECT_EQ(-ENODEV, mig_buf_fill(&b, fd, 0)) TH_LOG("data_fd must fail, not end");
	mig_buf_free(&b);
	ASSERT_EQ(0, svf_vfio_mig_get(&self->va, &state));
	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, state);
	close(fd);
	svf_vfio_close(&self->va);
	EXPECT_EQ(0, svf_pci_wait_driver(self->a, NULL, 5000)) TH_LOG("still bound");
	ASSERT_EQ(0, setup_fn(self->a, "1"));
	ASSERT_EQ(0, svf_vfio_open(&self->va, self->a));
	self->buf.len = 0;
	ASSERT_EQ(0, state_seed(self->a, 7));
	ASSERT_EQ(0, mig_save(&self->va, &self->buf, 1, NULL, NULL, NULL));
	ASSERT_EQ(0, mig_load(&self->vb, &self->buf, self->buf.len, NULL));
	EXPECT_TRUE(same_state(self->a, self->b));
}

/* A function the firmware calls not migratable is refused, one line. */
TEST(not_migratable)
{
	char fn[MAX_FNS][32], val[64];
	int kfd;


	ASSERT_EQ(0, model_load());
	ASSERT_GE(svf_find_pci(IVSHMEM_VENDOR, IVSHMEM_DEVICE, fn, MAX_FNS), 2);
	svf_sysfs_write(MODEL_DBG "/del_vf", fn[1]);
	EXPECT_FALSE(parent_published(fn[1]));
	kfd = kmsg_mark();
	ASSERT_LE(0, kfd);
	snprintf(val, sizeof(val), "%s 1 0", fn[1]);
	EXPECT_EQ(-EOPNOTSUPP, svf_sysfs_write(MODEL_DBG "/add_vf", val));
	EXPECT_EQ(1, kmsg_count(kfd, "not migratable", NULL));
	close(kfd);
	EXPECT_FALSE(parent_published(fn[1]));
	EXPECT_EQ(0, svf_sysfs_write(MODEL_DBG "/del_vf", fn[1]));
}

/* Unload the model (withdrawing its functions) and wait for the unbinds. */
static int model_unload(char fn[][32], int n)
{
	int i, ret = svf_modunload(MODEL);

	for (i = 0; !ret && i < n; i++)
		ret = svf_pci_wait_driver(fn[i], NULL, 5000);
	return ret;
}

/*
 * Firmware without chunks and without pre-copy: the function offers
 * STOP_COPY and P2P only, and an image saved in one piece migrates.  Also
 * unloads the provider under bound, idle functions, and loads it again.
 */
TEST(no_chunks_no_pre_copy)
{
	struct svf_vfio va, vb;
	struct mig_buf b = { 0 };
	char fn[MAX_FNS][32];
	uint64_t flags = 0;


	ASSERT_EQ(0, model_load());
	ASSERT_EQ(0, svf_modload(SNAP_DRV));
	ASSERT_GE(svf_find_pci(IVSHMEM_VENDOR, IVSHMEM_DEVICE, fn, MAX_FNS), 2);
	ASSERT_EQ(0, model_unload(fn, 2));
	ASSERT_EQ(0, svf_shell("svf_modload %s state_pages=%d chunk_pages=0 pre_copy=0",
			       MODEL, STATE_PAGES));
	ASSERT_EQ(0, setup_fn(fn[0], "1"));
	ASSERT_EQ(0, setup_fn(fn[1], "1"));
	ASSERT_EQ(0, svf_vfio_open(&va, fn[0]));
	ASSERT_EQ(0, svf_vfio_open(&vb, fn[1]));
	ASSERT_EQ(0, svf_vfio_mig_flags(&va, &flags));
	EXPECT_EQ(VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P, flags);
	ASSERT_EQ(0, state_seed(fn[0], 11));
	ASSERT_EQ(0, state_seed(fn[1], 12));
	ASSERT_EQ(0, mig_save(&va, &b, 0, NULL, NULL, NULL));
	EXPECT_GT(b.len, STATE_LEN);
	ASSERT_EQ(0, mig_load(&vb, &b, b.len, NULL));
	EXPECT_TRUE(same_state(fn[0], fn[1]));
	EXPECT_EQ(0, bufs_alive());
	mig_buf_free(&b);
	svf_vfio_close(&va);
	svf_vfio_close(&vb);
	/* back to the defaults the other tests expect */
	ASSERT_EQ(0, model_unload(fn, 2));
	ASSERT_EQ(0, model_load());
}

/*
 * Modules in any order: the consumer leaves and comes back while the
 * functions stay published (and are bound again); the model, snapvf_mlx5
 * and Debian's mlx5_core leave under bound, idle functions and come back;
 * every function migrates afterwards.
 */
TEST(modules_any_order)
{
	struct svf_vfio va, vb;
	struct mig_buf b = { 0 };
	char fn[MAX_FNS][32];

	ASSERT_EQ(0, model_load());
	ASSERT_EQ(0, svf_modload(SNAP_DRV));
	ASSERT_GE(svf_find_pci(IVSHMEM_VENDOR, IVSHMEM_DEVICE, fn, MAX_FNS), 2);
	ASSERT_EQ(0, setup_fn(fn[0], "1"));
	ASSERT_EQ(0, setup_fn(fn[1], "1"));

	ASSERT_EQ(0, svf_modunload(SNAP_DRV));
	EXPECT_FALSE(svf_pci_is_bound(fn[0], NULL));
	EXPECT_TRUE(parent_published(fn[0])) TH_LOG("the parent keeps publishing");
	ASSERT_EQ(0, svf_modload(SNAP_DRV));
	EXPECT_EQ(0, svf_pci_bind(fn[0], SNAP_DRV));

	ASSERT_EQ(0, model_unload(fn, 2));
	EXPECT_FALSE(parent_published(fn[0]));
	ASSERT_EQ(0, svf_modunload("snapvf_mlx5"));
	ASSERT_EQ(0, svf_modunload("mlx5_core"));	/* if loaded */
	EXPECT_FALSE(svf_mod_loaded("mlx5_core"));
	ASSERT_EQ(0, model_load());
	EXPECT_EQ(have_mlx5(), svf_mod_loaded("mlx5_core"));

	ASSERT_EQ(0, setup_fn(fn[0], "1"));
	ASSERT_EQ(0, setup_fn(fn[1], "1"));
	ASSERT_EQ(0, svf_vfio_open(&va, fn[0]));
	ASSERT_EQ(0, svf_vfio_open(&vb, fn[1]));
	ASSERT_EQ(0, state_seed(fn[0], 21));
	ASSERT_EQ(0, mig_save(&va, &b, 0, NULL, NULL, NULL));
	ASSERT_EQ(0, mig_load(&vb, &b, b.len, NULL));
	EXPECT_TRUE(same_state(fn[0], fn[1]));
	mig_buf_free(&b);
	svf_vfio_close(&va);
	svf_vfio_close(&vb);
}

TEST_HARNESS_MAIN
