// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-smmu-nested: the VMM bring-up every test runs first (steps 1-6: VFIO cdev
 * + iommufd on both edu devices, guest RAM, one stage-2, a vIOMMU per SMMU,
 * guest stage-1s, nested HWPTs) and its teardown (step 12); the check that
 * does nothing else.
 */
#include "e2e.h"

static int find_edu_devices(struct edu_dev *out, int max)
{
	int n = edu_sysfs_find_into(out, sizeof(*out), max), i;

	for (i = 0; i < n; i++)
		out[i].fd = -1;
	return n;
}

static void dev_open_bind(struct __test_metadata *_metadata, fixture_t *self, int d)
{
	struct edu_dev *dev = &self->dev[d];
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind), .flags = 0, .iommufd = self->iommufd,
	};
	struct vfio_region_info bar = {
		.argsz = sizeof(bar), .index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	struct vfio_region_info cfg = {
		.argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	uint16_t cmd;
	void *map;

	ASSERT_NE(0, dev->cdev[0]) {
		TH_LOG("edu %s has no vfio-dev cdev: not bound to vfio-pci?", dev->bdf);
	}
	dev->fd = open(dev->cdev, O_RDWR);
	ASSERT_LE(0, dev->fd) {
		TH_LOG("open %s: %s", dev->cdev, strerror(errno));
	}
	ASSERT_EQ(0, ioctl(dev->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		TH_LOG("VFIO_DEVICE_BIND_IOMMUFD %s: %s", dev->cdev, strerror(errno));
	}
	dev->dev_id = bind.out_devid;
	note("dev%d: edu %s  %s  behind %s  -> dev_id %u", d, dev->bdf, dev->cdev,
	     dev->smmu, dev->dev_id);

	/* BAR0 */
	ASSERT_EQ(0, ioctl(dev->fd, VFIO_DEVICE_GET_REGION_INFO, &bar)) {
		TH_LOG("GET_REGION_INFO BAR0: %s", strerror(errno));
	}
	ASSERT_TRUE(!!(bar.flags & VFIO_REGION_INFO_FLAG_MMAP));
	ASSERT_LE(0x100ULL, bar.size);
	map = mmap(NULL, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev->fd, bar.offset);
	ASSERT_NE(MAP_FAILED, map) {
		TH_LOG("mmap BAR0: %s", strerror(errno));
	}
	dev->bar0 = map;
	dev->bar0_size = bar.size;

	/* Memory decode + bus mastering through the VFIO config region. */
	ASSERT_EQ(0, ioctl(dev->fd, VFIO_DEVICE_GET_REGION_INFO, &cfg)) {
		TH_LOG("GET_REGION_INFO config: %s", strerror(errno));
	}
	dev->cfg_off = cfg.offset;
	ASSERT_EQ(2, pread(dev->fd, &cmd, 2, dev->cfg_off + PCI_CMD_OFF));
	cmd = htole16(le16toh(cmd) | PCI_CMD_MEMORY | PCI_CMD_MASTER);
	ASSERT_EQ(2, pwrite(dev->fd, &cmd, 2, dev->cfg_off + PCI_CMD_OFF));
	ASSERT_EQ(2, pread(dev->fd, &cmd, 2, dev->cfg_off + PCI_CMD_OFF));
	ASSERT_EQ(PCI_CMD_MASTER, le16toh(cmd) & PCI_CMD_MASTER);

	/* Is it alive? */
	ASSERT_EQ(EDU_IDENT, edu_rd32(dev, EDU_REG_IDENT));
	edu_wr32(dev, EDU_REG_LIVE, 0x12345678);
	ASSERT_EQ(~0x12345678U, edu_rd32(dev, EDU_REG_LIVE));
	ASSERT_EQ(0ULL, edu_rd64(dev, EDU_REG_DMA_CMD) & EDU_CMD_RUN);
}

static void dev_hw_info(struct __test_metadata *_metadata, fixture_t *self, int d)
{
	struct iommu_hw_info_arm_smmuv3 info;
	struct iommu_hw_info hi = {
		.size = sizeof(hi),
		.flags = 0,
		.dev_id = self->dev[d].dev_id,
		.data_len = sizeof(info),
		.data_uptr = (uintptr_t)&info,
	};

	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_GET_HW_INFO, &hi)) {
		TH_LOG("IOMMU_GET_HW_INFO dev%d: %s", d, strerror(errno));
	}
	ASSERT_EQ((uint32_t)IOMMU_HW_INFO_TYPE_ARM_SMMUV3, hi.out_data_type);
	note("dev%d: %s IDR0 0x%08x IDR1 0x%08x IDR2 0x%08x IDR3 0x%08x IDR4 0x%08x IDR5 0x%08x IIDR 0x%08x AIDR 0x%08x",
	     d, self->dev[d].smmu, info.idr[0], info.idr[1], info.idr[2], info.idr[3],
	     info.idr[4], info.idr[5], info.iidr, info.aidr);
	ASSERT_TRUE(!!(info.idr[0] & IDR0_S1P)) {
		TH_LOG("dev%d: SMMU IDR0 has no S1P", d);
	}
	ASSERT_TRUE(!!(info.idr[0] & IDR0_S2P)) {
		TH_LOG("dev%d: SMMU IDR0 has no S2P", d);
	}
}

/* Steps 1-6: the fixture's setup, before every check */
void vmm_bringup(struct __test_metadata *_metadata, fixture_t *self)
{
	struct edu_dev found[EDU_MAX];
	struct iommu_hwpt_arm_smmuv3 ste[2];
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_hwpt_alloc s2 = {
		.size = sizeof(s2),
		.flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
		.data_type = IOMMU_HWPT_DATA_NONE,
	};
	uint32_t bad_id = 0;
	int n, i, second = -1;
	int ret;

	self->iommufd = -1;
	self->dev[0].fd = self->dev[1].fd = -1;
	self->extra_viommu_id = 0;
	self->extra_nested_id = 0;
	self->extra_dev_id_set = false;
	self->extra_dev = -1;
	self->churn_running = false;

	if (access("/dev/iommu", F_OK))
		SKIP(return, "no /dev/iommu (iommufd not available)");
	n = find_edu_devices(found, EDU_MAX);
	if (n < 2)
		SKIP(return, "need 2 edu PCI devices (1234:11e8), found %d", n);

	/* d0 = first edu (sorted by SMMU), d1 = first one behind another SMMU. */
	for (i = 1; i < n; i++) {
		if (strcmp(found[i].smmu, found[0].smmu)) {
			second = i;
			break;
		}
	}
	ASSERT_NE(0, found[0].smmu[0]) {
		TH_LOG("edu %s has no iommu link", found[0].bdf);
	}
	ASSERT_NE(-1, second) {
		TH_LOG("all %d edu devices are behind %s: need two different SMMUs",
		       n, found[0].smmu);
	}
	self->dev[0] = found[0];
	self->dev[1] = found[second];
	self->dev[0].fd = self->dev[1].fd = -1;

	note("=== setup: VMM bring-up, two physical SMMUs, one shared stage-2 ===");

	/* Step 1: iommufd, bind both devices, hardware info. */
	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->iommufd) {
		TH_LOG("open /dev/iommu: %s", strerror(errno));
	}
	for (i = 0; i < 2; i++)
		dev_open_bind(_metadata, self, i);
	for (i = 0; i < 2; i++)
		dev_hw_info(_metadata, self, i);

	/* Step 2: guest RAM in one IOAS at IPA 0x4000000. */
	self->ram = mmap(NULL, GUEST_RAM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->ram);
	self->alt_page = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->alt_page);
	memset(self->ram, 0, GUEST_RAM_SIZE);
	memset(self->alt_page, SENTINEL_B, PAGE_SZ);

	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_ALLOC, &ioas)) {
		TH_LOG("IOMMU_IOAS_ALLOC: %s", strerror(errno));
	}
	self->ioas_id = ioas.out_ioas_id;
	/* [0, P) and (P, end) as big areas, page P as its own area (remapped later) */
	ASSERT_EQ(0, ioas_map_fixed(self->iommufd, self->ioas_id, self->ram,
				    SHARED_P_OFF, IPA(0)));
	ASSERT_EQ(0, ioas_map_fixed(self->iommufd, self->ioas_id, self->ram + SHARED_P_OFF,
				    PAGE_SZ, IPA(SHARED_P_OFF)));
	ASSERT_EQ(0, ioas_map_fixed(self->iommufd, self->ioas_id,
				    self->ram + SHARED_P_OFF + PAGE_SZ,
				    GUEST_RAM_SIZE - SHARED_P_OFF - PAGE_SZ,
				    IPA(SHARED_P_OFF + PAGE_SZ)));
	note("IOAS %u: guest RAM %llu KiB at IPA 0x%llx (page P at IPA 0x%llx is its own area)",
	     self->ioas_id, (unsigned long long)(GUEST_RAM_SIZE >> 10),
	     (unsigned long long)GUEST_IPA_BASE, (unsigned long long)IPA(SHARED_P_OFF));

	/* Step 3: ONE stage-2 (nesting parent). */
	s2.dev_id = self->dev[0].dev_id;
	s2.pt_id = self->ioas_id;
	ret = ioctl(self->iommufd, IOMMU_HWPT_ALLOC, &s2) ? -errno : 0;
	ASSERT_EQ(0, ret) {
		TH_LOG("HWPT_ALLOC NEST_PARENT: %s%s", strerror(-ret),
		       ret == -EOPNOTSUPP ?
		       " (firmware does not declare the root complex coherent: no CANWBS?)" : "");
	}
	self->s2_id = s2.out_hwpt_id;
	note("stage-2: nesting-parent HWPT %u on IOAS %u (allocated via dev0)",
	     self->s2_id, self->ioas_id);

	/* Step 4: vIOMMU A (SMMU of d0), dev-id rules, vIOMMU B on the SAME S2. */
	ASSERT_EQ(0, viommu_alloc(self->iommufd, self->dev[0].dev_id, self->s2_id,
				  &self->dev[0].viommu_id));
	note("vIOMMU A = %u (dev0's SMMU %s) on S2 %u", self->dev[0].viommu_id,
	     self->dev[0].smmu, self->s2_id);
	ret = viommu_set_dev_id(self->iommufd, self->dev[0].viommu_id,
				self->dev[1].dev_id, VSID + 1);
	ASSERT_EQ(-EINVAL, ret) {
		TH_LOG("SET_DEV_ID(A, dev1 behind the other SMMU) gave %d, want -EINVAL", ret);
	}
	note("SET_DEV_ID(A, dev1, 0x%llx): EINVAL as expected (dev1 is behind another SMMU)",
	     (unsigned long long)(VSID + 1));
	ASSERT_EQ(0, viommu_alloc(self->iommufd, self->dev[1].dev_id, self->s2_id,
				  &self->dev[1].viommu_id));
	ASSERT_NE(self->dev[0].viommu_id, self->dev[1].viommu_id);
	note("vIOMMU B = %u (dev1's SMMU %s) on the same S2 %u", self->dev[1].viommu_id,
	     self->dev[1].smmu, self->s2_id);
	for (i = 0; i < 2; i++) {
		ret = viommu_set_dev_id(self->iommufd, self->dev[i].viommu_id,
					self->dev[i].dev_id, VSID);
		ASSERT_EQ(0, ret) {
			TH_LOG("SET_DEV_ID(%c, dev%d, 0x%llx): %s", 'A' + i, i,
			       (unsigned long long)VSID, strerror(-ret));
		}
		self->dev[i].dev_id_set = true;
	}
	note("SET_DEV_ID: A: vSID 0x%llx -> dev0, B: vSID 0x%llx -> dev1",
	     (unsigned long long)VSID, (unsigned long long)VSID);

	/* Step 5: guest stage-1 for each device, in guest RAM. */
	for (i = 0; i < 2; i++)
		guest_s1_build(_metadata, self, i, &ste[i]);

	/* Step 6: nested HWPTs on the vIOMMUs, and attach. */
	for (i = 0; i < 2; i++) {
		ret = hwpt_alloc_nested(self->iommufd, self->dev[i].dev_id,
					self->dev[i].viommu_id, &ste[i],
					&self->dev[i].nested_id);
		ASSERT_EQ(0, ret) {
			TH_LOG("HWPT_ALLOC nested dev%d on vIOMMU %c: %s", i, 'A' + i,
			       strerror(-ret));
		}
		note("dev%d: nested HWPT %u on vIOMMU %c", i, self->dev[i].nested_id, 'A' + i);
	}
	ret = hwpt_alloc_nested(self->iommufd, self->dev[1].dev_id,
				self->dev[0].viommu_id, &ste[1], &bad_id);
	ASSERT_EQ(-EINVAL, ret) {
		TH_LOG("HWPT_ALLOC nested dev1 on vIOMMU A gave %d (id %u), want -EINVAL",
		       ret, bad_id);
	}
	note("HWPT_ALLOC nested dev1 on vIOMMU A: EINVAL as expected");
	for (i = 0; i < 2; i++) {
		ret = vfio_attach(self->dev[i].fd, self->dev[i].nested_id);
		ASSERT_EQ(0, ret) {
			TH_LOG("ATTACH dev%d to nested HWPT %u: %s", i,
			       self->dev[i].nested_id, strerror(-ret));
		}
		note("dev%d: attached to nested HWPT %u", i, self->dev[i].nested_id);
	}
	note("=== setup done ===");
}

/* Step 12: the fixture's teardown, after every check */
void vmm_teardown(struct __test_metadata *_metadata, fixture_t *self)
{
	int i, ret;

	note("=== teardown ===");
	if (self->churn_running) {
		ret = churn_stop(self);
		EXPECT_EQ(0, ret) {
			TH_LOG("pthread_join churn thread: %s", strerror(ret));
		}
		note("vIOMMU churn thread stopped (%u cycles)", self->churn.cycles);
		if (self->churn.leaked_id && !self->extra_viommu_id)
			self->extra_viommu_id = self->churn.leaked_id;
	}
	for (i = 0; i < 2; i++) {
		ret = vfio_attach(self->dev[i].fd, self->ioas_id);
		EXPECT_EQ(0, ret) {
			TH_LOG("re-attach dev%d to IOAS %u: %s", i, self->ioas_id, strerror(-ret));
		}
	}
	note("devices attached back to IOAS %u", self->ioas_id);
	for (i = 0; i < 2; i++) {
		if (!self->dev[i].nested_id)
			continue;
		ret = obj_destroy(self->iommufd, self->dev[i].nested_id);
		EXPECT_EQ(0, ret) {
			TH_LOG("destroy nested HWPT %u: %s", self->dev[i].nested_id, strerror(-ret));
		}
	}
	if (self->extra_nested_id) {
		ret = obj_destroy(self->iommufd, self->extra_nested_id);
		EXPECT_EQ(0, ret) {
			TH_LOG("destroy nested HWPT %u (extra vIOMMU): %s",
			       self->extra_nested_id, strerror(-ret));
		}
	}
	note("nested HWPTs destroyed");
	if (self->vdev_id) {
		ret = obj_destroy(self->iommufd, self->vdev_id);
		EXPECT_EQ(0, ret) {
			TH_LOG("destroy vDEVICE %u: %s", self->vdev_id, strerror(-ret));
		}
	}
	for (i = 0; i < 2; i++) {
		if (!self->dev[i].dev_id_set)
			continue;
		ret = viommu_unset_dev_id(self->iommufd, self->dev[i].viommu_id,
					  self->dev[i].dev_id, VSID);
		EXPECT_EQ(0, ret) {
			TH_LOG("UNSET_DEV_ID(%c, dev%d): %s", 'A' + i, i, strerror(-ret));
		}
	}
	if (self->extra_dev_id_set) {
		ret = viommu_unset_dev_id(self->iommufd, self->extra_viommu_id,
					  self->dev[self->extra_dev].dev_id, VSID);
		EXPECT_EQ(0, ret) {
			TH_LOG("UNSET_DEV_ID(extra vIOMMU %u, dev%d): %s", self->extra_viommu_id,
			       self->extra_dev, strerror(-ret));
		}
	}
	note("dev-id entries removed");
	for (i = 0; i < 2; i++) {
		if (!self->dev[i].viommu_id)
			continue;
		ret = obj_destroy(self->iommufd, self->dev[i].viommu_id);
		EXPECT_EQ(0, ret) {
			TH_LOG("destroy vIOMMU %c (%u): %s", 'A' + i, self->dev[i].viommu_id,
			       strerror(-ret));
		}
	}
	if (self->extra_viommu_id) {
		ret = obj_destroy(self->iommufd, self->extra_viommu_id);
		EXPECT_EQ(0, ret) {
			TH_LOG("destroy extra vIOMMU %u: %s", self->extra_viommu_id,
			       strerror(-ret));
		}
	}
	note("vIOMMUs destroyed");
	ret = obj_destroy(self->iommufd, self->s2_id);
	EXPECT_EQ(0, ret) {
		TH_LOG("destroy S2 HWPT %u: %s", self->s2_id, strerror(-ret));
	}
	note("stage-2 destroyed");
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, munmap((void *)self->dev[i].bar0, self->dev[i].bar0_size));
		EXPECT_EQ(0, close(self->dev[i].fd));
	}
	note("device fds closed (unbound)");
	ret = obj_destroy(self->iommufd, self->ioas_id);
	EXPECT_EQ(0, ret) {
		TH_LOG("destroy IOAS %u: %s", self->ioas_id, strerror(-ret));
	}
	EXPECT_EQ(0, close(self->iommufd));
	munmap(self->ram, GUEST_RAM_SIZE);
	munmap(self->alt_page, PAGE_SZ);
	note("=== teardown done ===");
}

/* Steps 1-6 and 12 only (all their checks are in setup/teardown). */
void check_bringup(struct __test_metadata *_metadata __attribute__((unused)),
		   fixture_t *self __attribute__((unused)))
{
	note("bring-up and teardown only");
}
