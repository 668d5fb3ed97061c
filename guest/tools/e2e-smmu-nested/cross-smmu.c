// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-smmu-nested: cross-SMMU refusals on attach, vDEVICE and the dev-id table.
 */
#include "e2e.h"

/*
 * Cross-SMMU rules on attach and vDEVICE; a failed attach changes nothing; the
 * vDEVICE door fills the same dev-id table as SET_DEV_ID.
 */
void check_cross_smmu_rules(struct __test_metadata *_metadata, fixture_t *self)
{
	struct iommu_viommu_arm_smmuv3_invalidate c;
	uint32_t A = self->dev[0].viommu_id, B = self->dev[1].viommu_id;
	uint32_t vdev = 0, num;
	int ret;

	ret = vfio_attach(self->dev[1].fd, self->dev[0].nested_id);
	EXPECT_EQ(-EINVAL, ret) {
		TH_LOG("attach dev1 to dev0's nested HWPT (vIOMMU A) gave %d", ret);
	}
	note("attach dev1 to a nested HWPT of vIOMMU A: %s", strerror(-ret));

	note("dev1 still translates through its own nested HWPT");
	memset(area_ptr(self, 1, AREA_DST), SENTINEL_A, PAGE_SZ);
	dev_dma_pattern(_metadata, self, 1, IOVA_DST, 0x71);
	expect_pattern(_metadata, "dev1 DST page", area_ptr(self, 1, AREA_DST), 0x71);
	expect_fill(_metadata, "dev0 DST page", area_ptr(self, 0, AREA_DST), 0);

	/* Free dev1's entry first so that EEXIST cannot hide the EINVAL. */
	ret = viommu_unset_dev_id(self->iommufd, B, self->dev[1].dev_id, VSID);
	ASSERT_EQ(0, ret) {
		TH_LOG("UNSET_DEV_ID(B, dev1): %s", strerror(-ret));
	}
	self->dev[1].dev_id_set = false;
	note("UNSET_DEV_ID(B, dev1, 0x%llx): ok", (unsigned long long)VSID);

	cmd_cfgi_cd(&c, VSID);
	num = 1;
	ret = viommu_invalidate(self->iommufd, B, &c, &num);
	EXPECT_EQ(-EIO, ret);
	EXPECT_EQ(0U, num);
	note("CFGI_CD vSID 0x%llx via B after UNSET: %s", (unsigned long long)VSID,
	     strerror(-ret));

	ret = vdevice_alloc(self->iommufd, A, self->dev[1].dev_id, VSID + 1, &vdev);
	EXPECT_EQ(-EINVAL, ret) {
		TH_LOG("VDEVICE_ALLOC(A, dev1) gave %d (id %u)", ret, vdev);
	}
	if (!ret)
		self->vdev_id = vdev;
	note("VDEVICE_ALLOC(A, dev1): %s", strerror(-ret));
	if (!ret)
		return;	/* teardown destroys the stray vDEVICE */

	ret = vdevice_alloc(self->iommufd, B, self->dev[1].dev_id, VSID, &vdev);
	ASSERT_EQ(0, ret) {
		TH_LOG("VDEVICE_ALLOC(B, dev1, 0x%llx): %s", (unsigned long long)VSID,
		       strerror(-ret));
	}
	self->vdev_id = vdev;
	note("VDEVICE_ALLOC(B, dev1, 0x%llx): vDEVICE %u", (unsigned long long)VSID, vdev);

	ret = viommu_unset_dev_id(self->iommufd, B, self->dev[1].dev_id, VSID);
	EXPECT_EQ(-EBUSY, ret);
	note("UNSET_DEV_ID on the vDEVICE's entry: %s", strerror(-ret));

	ret = viommu_set_dev_id(self->iommufd, A, self->dev[0].dev_id, VSID);
	EXPECT_EQ(-EEXIST, ret);
	note("SET_DEV_ID(A, dev0) while dev0 has its entry: %s", strerror(-ret));

	cmd_cfgi_cd(&c, VSID);
	num = 1;
	ret = viommu_invalidate(self->iommufd, B, &c, &num);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(1U, num);
	note("CFGI_CD vSID 0x%llx via B (vDEVICE entry): %s", (unsigned long long)VSID,
	     ret ? strerror(-ret) : "ok");

	ret = obj_destroy(self->iommufd, vdev);
	ASSERT_EQ(0, ret) {
		TH_LOG("destroy vDEVICE %u: %s", vdev, strerror(-ret));
	}
	self->vdev_id = 0;
	ret = viommu_set_dev_id(self->iommufd, B, self->dev[1].dev_id, VSID);
	ASSERT_EQ(0, ret) {
		TH_LOG("SET_DEV_ID(B, dev1) after vDEVICE destroy: %s", strerror(-ret));
	}
	self->dev[1].dev_id_set = true;
	note("vDEVICE destroyed, SET_DEV_ID(B, dev1, 0x%llx) again: ok", (unsigned long long)VSID);

	memset(area_ptr(self, 1, AREA_DST), SENTINEL_A, PAGE_SZ);
	dev_dma_pattern(_metadata, self, 1, IOVA_DST, 0x72);
	expect_pattern(_metadata, "dev1 DST page", area_ptr(self, 1, AREA_DST), 0x72);
}
