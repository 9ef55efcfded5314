// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_pci binding: probe orders (aux device first, PCI function first,
 * module load orders), a function without a parent (-ENODEV, one message,
 * no fallback), unbind/rebind and withdraw/publish loops, the vfio_pci:
 * aliases, and stock vfio-pci on the same kind of function.
 *
 * Guest: pci-testdev (the simulator's manager) and three ivshmem-plain
 * functions A, B, C (see vm.conf).
 */
#include "pci_lib.h"
#include "svf_harness.h"

FIXTURE(bind) {
	char fn[MAX_FNS][32];
	int nfn;
	const char *a, *b, *c;
};

/* Modules loaded, no function managed or bound: a clean start per test. */
FIXTURE_SETUP(bind)
{
	int i;

	ASSERT_EQ(0, svf_modload("snapvf_sim")) TH_LOG("loading snapvf_sim failed");
	ASSERT_EQ(0, svf_modload(SNAP_DRV)) TH_LOG("loading snapvf_pci failed");
	self->nfn = svf_find_pci(IVSHMEM_VENDOR, IVSHMEM_DEVICE, self->fn, MAX_FNS);
	ASSERT_GE(self->nfn, 3) TH_LOG("vm.conf should give three ivshmem-plain functions");
	self->a = self->fn[0];
	self->b = self->fn[1];
	self->c = self->fn[2];
	for (i = 0; i < self->nfn; i++) {
		sim_del(self->fn[i]);
		ASSERT_EQ(0, svf_pci_unbind(self->fn[i]));
		svf_pci_attr(self->fn[i], "driver_override", "\n");
	}
}

FIXTURE_TEARDOWN(bind)
{
	int i;

	for (i = 0; i < self->nfn; i++) {
		sim_del(self->fn[i]);
		svf_pci_unbind(self->fn[i]);
		svf_pci_attr(self->fn[i], "driver_override", "\n");
	}
}

/* A function no parent manages: bind fails with ENODEV, one log line. */
TEST_F(bind, missing_parent)
{
	int kfd = kmsg_mark();

	ASSERT_GE(kfd, 0);
	EXPECT_EQ(-ENODEV, svf_pci_bind(self->c, SNAP_DRV));
	EXPECT_FALSE(svf_pci_is_bound(self->c, NULL)) TH_LOG("no fallback binding");
	/* drivers_probe with the override set: still nothing */
	svf_sysfs_write("/sys/bus/pci/drivers_probe", self->c);
	EXPECT_FALSE(svf_pci_is_bound(self->c, NULL));
	EXPECT_EQ(2, kmsg_count(kfd, self->c, "no SNAP parent"))
		TH_LOG("want exactly one line per bind attempt");
	close(kfd);
}

/* Parent publishes first, then the admin binds. */
TEST_F(bind, aux_first)
{
	struct svf_vfio v;
	uint64_t flags = 0;

	ASSERT_EQ(0, sim_add(self->a));
	ASSERT_EQ(0, svf_pci_bind(self->a, SNAP_DRV));
	ASSERT_TRUE(svf_pci_is_bound(self->a, SNAP_DRV));
	ASSERT_EQ(0, svf_vfio_open(&v, self->a));
	EXPECT_EQ(0, svf_vfio_mig_flags(&v, &flags));
	EXPECT_TRUE(flags & VFIO_MIGRATION_STOP_COPY);
	EXPECT_TRUE(flags & VFIO_MIGRATION_PRE_COPY);
	EXPECT_TRUE(flags & VFIO_MIGRATION_P2P);
	svf_vfio_close(&v);
}

/* Admin binds first (fails), the parent appears later: bound by itself. */
TEST_F(bind, pci_first)
{
	EXPECT_EQ(-ENODEV, svf_pci_bind(self->a, SNAP_DRV));
	EXPECT_FALSE(svf_pci_is_bound(self->a, NULL));
	ASSERT_EQ(0, sim_add(self->a));
	EXPECT_EQ(0, svf_pci_wait_driver(self->a, SNAP_DRV, 5000));
	/* a function without driver_override is not grabbed */
	ASSERT_EQ(0, sim_add(self->b));
	usleep(300000);
	EXPECT_FALSE(svf_pci_is_bound(self->b, NULL));
}

/* Module load and unload orders (module loads are slow under TCG). */
TEST_F_TIMEOUT(bind, module_orders, 180)
{
	/* snapvf_pci first, then the parent's module */
	ASSERT_EQ(0, svf_modunload(SNAP_DRV));
	ASSERT_EQ(0, svf_modunload("snapvf_sim"));
	ASSERT_EQ(0, svf_pci_attr(self->a, "driver_override", SNAP_DRV));
	ASSERT_EQ(0, svf_modload(SNAP_DRV));
	EXPECT_FALSE(svf_pci_is_bound(self->a, NULL));
	ASSERT_EQ(0, svf_modload("snapvf_sim"));
	ASSERT_EQ(0, sim_add(self->a));
	EXPECT_EQ(0, svf_pci_wait_driver(self->a, SNAP_DRV, 5000));

	/* parent module goes: the function is released */
	ASSERT_EQ(0, svf_modunload("snapvf_sim"));
	EXPECT_EQ(0, svf_pci_wait_driver(self->a, NULL, 5000));

	/* parent's module first, then snapvf_pci */
	ASSERT_EQ(0, svf_modunload(SNAP_DRV));
	ASSERT_EQ(0, svf_modload("snapvf_sim"));
	ASSERT_EQ(0, sim_add(self->a));
	ASSERT_EQ(0, svf_modload(SNAP_DRV));
	EXPECT_EQ(0, svf_pci_wait_driver(self->a, SNAP_DRV, 5000));

	/* snapvf_pci goes and comes back while the parent stays */
	ASSERT_EQ(0, svf_modunload(SNAP_DRV));
	EXPECT_FALSE(svf_pci_is_bound(self->a, NULL));
	ASSERT_EQ(0, svf_modload(SNAP_DRV));
	EXPECT_EQ(0, svf_pci_wait_driver(self->a, SNAP_DRV, 5000));
}

/* Unbind/bind and withdraw/publish loops end bound and usable. */
TEST_F(bind, rebind_loops)
{
	struct svf_vfio v;
	uint32_t id;
	int i;

	ASSERT_EQ(0, sim_add(self->a));
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, svf_pci_bind(self->a, SNAP_DRV)) TH_LOG("bind #%d", i);
		ASSERT_EQ(0, svf_vfio_open(&v, self->a));
		ASSERT_EQ(4, svf_vfio_read(&v, VFIO_PCI_CONFIG_REGION_INDEX, 0,
					   &id, 4));
		EXPECT_EQ(0x11101af4u, id);
		svf_vfio_close(&v);
		ASSERT_EQ(0, svf_pci_unbind(self->a));
	}
	ASSERT_EQ(0, svf_pci_bind(self->a, SNAP_DRV));
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(0, sim_del(self->a)) TH_LOG("withdraw #%d", i);
		ASSERT_EQ(0, svf_pci_wait_driver(self->a, NULL, 5000));
		ASSERT_EQ(0, sim_add(self->a));
		ASSERT_EQ(0, svf_pci_wait_driver(self->a, SNAP_DRV, 5000));
	}
	ASSERT_EQ(0, svf_vfio_open(&v, self->a));
	svf_vfio_close(&v);
}

/* Stock vfio-pci keeps working for the same functions, managed or not. */
TEST_F(bind, stock_vfio_pci)
{
	struct svf_vfio v;
	uint64_t flags;
	uint32_t id;

	ASSERT_EQ(0, system("modprobe vfio_pci"));
	ASSERT_EQ(0, sim_add(self->b));
	ASSERT_EQ(0, svf_pci_bind(self->b, "vfio-pci"));
	ASSERT_EQ(0, svf_pci_bind(self->c, "vfio-pci"));
	ASSERT_EQ(0, svf_vfio_open(&v, self->b));
	ASSERT_EQ(4, svf_vfio_read(&v, VFIO_PCI_CONFIG_REGION_INDEX, 0, &id, 4));
	EXPECT_EQ(0x11101af4u, id);
	EXPECT_EQ(-ENOTTY, svf_vfio_mig_flags(&v, &flags))
		TH_LOG("stock vfio-pci has no migration");
	svf_vfio_close(&v);
	ASSERT_EQ(0, svf_vfio_open(&v, self->c));
	svf_vfio_close(&v);
	/* and back to snapvf_pci */
	ASSERT_EQ(0, svf_pci_bind(self->b, SNAP_DRV));
}

/* modules.alias: vfio_pci: entries for the ID table. */
#define HAS_ALIAS(a) \
	svf_shell("modinfo -F alias $(svf_ko %s) | grep -qxF \"vfio_pci:" a "\"", SNAP_DRV)

TEST_F(bind, vfio_aliases)
{
	/*
	 * NVMe and virtio-blk SNAP functions, mlx5 VFs (paired with
	 * snapvf_mlx5), the simulator's ivshmem and QEMU NVMe functions
	 */
	EXPECT_EQ(0, svf_shell("test $(modinfo -F alias $(svf_ko %s) | grep -c ^vfio_pci:) -eq 5",
			       SNAP_DRV));
	EXPECT_EQ(0, HAS_ALIAS("v000015B3d00006001sv*sd*bc*sc*i*"));
	EXPECT_EQ(0, HAS_ALIAS("v00001AF4d00001042sv000015B3sd*bc*sc*i*"));
	EXPECT_EQ(0, HAS_ALIAS("v000015B3d0000101Esv*sd*bc*sc*i*"));
	EXPECT_EQ(0, HAS_ALIAS("v00001AF4d00001110sv*sd*bc*sc*i*"));
	EXPECT_EQ(0, HAS_ALIAS("v00001B36d00000010sv*sd*bc*sc*i*"));
}

TEST_HARNESS_MAIN
