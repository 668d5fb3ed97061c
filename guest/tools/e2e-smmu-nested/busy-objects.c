// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-smmu-nested: objects in use that must not be destroyed or re-bound.
 */
#include "e2e.h"

/* Object references: what must be refused while in use (nothing changes). */
void check_busy_objects(struct __test_metadata *_metadata, fixture_t *self)
{
	int ret;

	ret = obj_destroy(self->iommufd, self->s2_id);
	EXPECT_EQ(-EBUSY, ret);
	note("destroy S2 while vIOMMUs use it: %s", strerror(-ret));

	ret = obj_destroy(self->iommufd, self->dev[0].viommu_id);
	EXPECT_EQ(-EBUSY, ret);
	note("destroy vIOMMU A with nested HWPT + dev-id entry: %s", strerror(-ret));

	ret = obj_destroy(self->iommufd, self->dev[0].nested_id);
	EXPECT_EQ(-EBUSY, ret);
	note("destroy dev0's attached nested HWPT: %s", strerror(-ret));

	ret = viommu_unset_dev_id(self->iommufd, self->dev[0].viommu_id,
				  self->dev[0].dev_id, VSID + 1);
	EXPECT_EQ(-ENOENT, ret);
	note("UNSET_DEV_ID(A, dev0, wrong vSID): %s", strerror(-ret));

	ret = viommu_set_dev_id(self->iommufd, self->dev[0].viommu_id,
				self->dev[0].dev_id, VSID + 2);
	EXPECT_EQ(-EEXIST, ret);
	note("SET_DEV_ID(A, dev0, second vSID): %s", strerror(-ret));

	ret = viommu_set_dev_id(self->iommufd, self->dev[1].viommu_id,
				self->dev[1].dev_id, VSID);
	EXPECT_EQ(-EEXIST, ret);
	note("SET_DEV_ID(B, dev1, same vSID again): %s", strerror(-ret));
}
