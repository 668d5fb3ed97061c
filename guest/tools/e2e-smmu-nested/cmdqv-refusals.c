// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-smmu-nested: CMDQV requests refused on SMMUs without CMDQV.
 */
#include "e2e.h"

/*
 * The emulated SMMUs have no Tegra241 CMDQV: everything CMDQV-specific must be
 * refused cleanly, and the core's HW queue and mmap paths must not reach a
 * driver that has nothing to offer.
 */
void check_no_cmdqv_on_plain_smmu(struct __test_metadata *_metadata, fixture_t *self)
{
	struct iommu_viommu_alloc va = {
		.size = sizeof(va),
		.type = IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV,
		.dev_id = self->dev[0].dev_id,
		.hwpt_id = self->s2_id,
	};
	struct iommu_hw_queue_alloc qa = {
		.size = sizeof(qa),
		.viommu_id = self->dev[0].viommu_id,
		.type = IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV,
		.nesting_parent_iova = IPA(0),
		.length = 4096,
	};
	struct iommu_hw_info_tegra241_cmdqv cinfo;
	struct iommu_hw_info hi = {
		.size = sizeof(hi),
		.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE,
		.dev_id = self->dev[0].dev_id,
		.data_len = sizeof(cinfo),
		.data_uptr = (uintptr_t)&cinfo,
		.in_data_type = IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV,
	};
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	note("CMDQV requests on an SMMU without CMDQV");
	ASSERT_EQ(-1, ioctl(self->iommufd, IOMMU_GET_HW_INFO, &hi));
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_EQ(-1, ioctl(self->iommufd, IOMMU_VIOMMU_ALLOC, &va));
	ASSERT_EQ(EOPNOTSUPP, errno);
	/* An ARM_SMMUV3 vIOMMU has no HW queues of any type */
	ASSERT_EQ(-1, ioctl(self->iommufd, IOMMU_HW_QUEUE_ALLOC, &qa));
	ASSERT_EQ(EOPNOTSUPP, errno);
	/* ... and registers no MMIO region */
	p = mmap(NULL, page, PROT_READ, MAP_SHARED, self->iommufd, page);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(ENXIO, errno);
	/* The teardown unmaps the guest RAM, which a stray pin would refuse */
	note("all refused: EOPNOTSUPP x3, mmap ENXIO");
}
